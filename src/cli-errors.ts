// commander's usage errors, retold without the values the user typed. commander quotes the whole
// token: `--tsig-key=hmac-sha256:k:SECRET`, `--tsg=SECRET` or `-ZySECRET` would print the TSIG
// secret in "unknown option '...'", and a bad -f choice echoes its value. Here an unknown option
// is named by its flag name only (`--tsig-key`, `--tsg`, `-Z`), with commander's own suggestion
// for that name, and an invalid argument is not quoted at all. Any other message is passed on
// with every value commander gave -y/--tsig redacted (src/redact.ts).
import { CommanderError, type Command } from 'commander';
import { redactArgv, tsigValues, redactTsig } from './redact.js';

/** The flag name of an unknown option token: `--name` up to any '=' or odd character, or `-X`. */
export function flagName(token: string): string {
  if (token.startsWith('--')) return /^--[A-Za-z0-9][A-Za-z0-9-]{0,39}/.exec(token)?.[0] ?? '--';
  return token.slice(0, 2);
}

/**
 * The message for a CommanderError (without commander's "error: " prefix), safe to print.
 * `program()` builds a fresh copy of the program that raised it (cli-main.ts passes cli.ts's builder).
 */
export function parserMessage(e: CommanderError, args: readonly string[], program: () => Command): string {
  const message = e.message.replace(/^error: /, '');
  if (e.code === 'commander.unknownOption') {
    const token = /^unknown option '([\s\S]*)'$/.exec(message.split('\n(Did you mean')[0]!)?.[1];
    if (token === undefined) return 'unknown option';
    const name = flagName(token);
    const i = args.indexOf(token);
    // Not a whole token: commander split it off a cluster of short flags (`-e=x` gives `-=x`).
    if (i < 0) return `unknown option '${name}'`;
    const suggestion = suggestionFor(program(), args, i, name);
    const hint = suggestion === '' ? foreignFlagHint(program(), args, name) : '';
    return `unknown option '${name}'${suggestion}${hint}`;
  }
  if (e.code === 'commander.invalidArgument') {
    // "option '-f, --family <family>' argument 'X' is invalid. Allowed choices are inet, inet6, any."
    // told as every other flag error is ("-f/--family: expected ..."), without the value.
    const choices = /^option '(-\w), (--[\w-]+) <[^>]*>' argument '[\s\S]*' is invalid\. Allowed choices are ([\w, -]+)\.$/.exec(message);
    if (choices) return `${choices[1]}/${choices[2]}: expected one of ${choices[3]}`;
    return message.replace(/ argument '[\s\S]*' is invalid\./, ' argument is invalid.');
  }
  if (e.code === 'commander.optionMissingArgument') {
    // "option '-c, --clients <n>' argument missing" -> "-c/--clients: expected a value (<n>)".
    const missing = /^option '(?:(-\w), )?(--[\w-]+) (<[^>]*>)' argument missing$/.exec(message);
    if (missing) return `${missing[1] === undefined ? '' : `${missing[1]}/`}${missing[2]}: expected a value ${missing[3]} after it`;
  }
  // Other messages name options and counts, not values; still, no TSIG value passes.
  let out = message;
  for (const v of tsigValues(args)) if (v !== '') out = out.split(v).join(redactTsig(v));
  return redactArgv([out]).join('');
}

 /**
 * dnsperf's and queryperf's flags that dnsbench does not have (dnsperf -h; queryperf's usage), and
 * what to do instead: a dnsperf user's script fails with the reason, not a bare "unknown option".
 * (-O, -1, -i's meaning and the rest are in README "Flags: queryperf and dnsperf to dnsbench".)
 */
const FOREIGN_FLAGS: ReadonlyMap<string, string> = new Map([
  ['-W', "dnsperf's -W (warnings on stdout) is not supported: warnings and errors always go to stderr (add 2>&1)"],
  ['-B', "dnsperf's -B (binary TCP-stream query files) is not supported: query files are \"name type\" text"],
  ['-u', "dnsperf's -u (dynamic updates) is not supported: dnsbench sends queries"],
  ['-i', "queryperf's -i (interval statistics) is -S here, e.g. -S 1"],
  ['-H', "dnsperf's -H (long options help): dnsbench --help lists every flag, -O included"],
]);

/** "; dnsperf's -W ... is not supported ..." for a run (not a subcommand) given one of FOREIGN_FLAGS. */
function foreignFlagHint(program: Command, args: readonly string[], name: string): string {
  const hint = FOREIGN_FLAGS.get(name);
  if (hint === undefined) return '';
  const first = args[0];
  if (first !== undefined && program.commands.some((c) => c.name() === first || c.aliases().includes(first))) return '';
  return `: ${hint}`;
}

/** commander's "(Did you mean --tsig?)" for the flag name alone: argv parsed again with the token replaced by its name. */
function suggestionFor(program: Command, args: readonly string[], i: number, name: string): string {
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined }).showSuggestionAfterError(true);
  }
  const again = [...args];
  again[i] = name;
  try {
    program.parse(again, { from: 'user' });
  } catch (e) {
    const m = /\n\(Did you mean (--?[A-Za-z0-9-]+)\?\)$/.exec(e instanceof CommanderError ? e.message : '');
    if (m) return ` (did you mean ${m[1]}?)`;
  }
  return '';
}
