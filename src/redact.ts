// Secrets never reach output or reports. The TSIG secret of -y [alg:]name:secret can be spelled in
// every way commander accepts: `-y V`, `-yV`, `--tsig V`, `--tsig=V`, and inside a cluster of short
// flags (`-ey V`, `-eyV`, `-Dey V`, `-vy V`). Matching argv patterns misses some of them, so the
// echoed command line is redacted from the parser's own view: argv is parsed again by commander
// with the run's own option definitions (cli-options.ts, the ones cli.ts uses), every value
// commander hands to the tsig option is recorded, and each of them (and its secret part) is
// replaced wherever it occurs in argv. Whatever spelling commander took the value from, that
// token contains the value, so it is found.
import { Command } from 'commander';
import { addRunOptions } from './cli-options.js';
import { addGateOptions } from './gates/cli.js';

/** `alg:name:secret` -> `alg:name:<redacted>`; a value without ':' is all secret. */
export function redactTsig(value: string): string {
  const i = value.lastIndexOf(':');
  return i < 0 ? '<redacted>' : `${value.slice(0, i)}:<redacted>`;
}

/**
 * Every value commander gives the -y/--tsig option when parsing `args` (user arguments, without
 * the program name), in order. A parse error ends the list where commander stopped; commander
 * never prints here (output and exits are overridden).
 */
export function tsigValues(args: readonly string[]): string[] {
  const values: string[] = [];
  // The run's options without the subcommands: a subcommand name then reads as an operand, and a
  // -y after it is still parsed (and redacted), which can only redact more, never less.
  const program = addGateOptions(addRunOptions(new Command('dnsbench')), { run: true })
    .allowExcessArguments(true)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .action(() => undefined);
  program.on('option:tsig', (v: unknown) => {
    if (typeof v === 'string') values.push(v);
  });
  try {
    program.parse([...args], { from: 'user' });
  } catch {
    // --help, --version or a usage error: the values seen so far are all there is.
  }
  return values;
}

/**
 * A TSIG key given on a command line inside a shell command (an --event running nsupdate, dig,
 * kdig or dnsbench itself): `-y [alg:]name:secret`, `-y[alg:]name:secret`, `--tsig[= ]...`. The
 * part after the last ':' is the secret (BIND's and Knot's -y syntax).
 */
const SHELL_TSIG = /((?:^|[\s;&|(])(?:-y|--tsig)(?:=|\s+)?)(['"]?)([^\s'";&|()]*:)([^\s'";&|()]+)/g;

/**
 * `text` with every `-y`/`--tsig` secret in it replaced by `<redacted>` (see SHELL_TSIG), also
 * where the same secret appears elsewhere in it, and the secrets found, so what the command printed
 * can lose them too. Over-redaction is fine.
 */
export function redactShellSecrets(text: string): { text: string; secrets: string[] } {
  const secrets: string[] = [];
  const out = text.replace(SHELL_TSIG, (_m, flag: string, quote: string, head: string, secret: string) => {
    secrets.push(secret);
    return `${flag}${quote}${head}<redacted>`;
  });
  return { text: withoutSecrets(out, secrets), secrets };
}

/** `text` with each of `secrets` (at least MIN_SECRET_ANYWHERE long) replaced by `<redacted>`. */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SECRET_ANYWHERE) out = out.split(s).join('<redacted>');
  return out;
}

/**
 * withoutSecrets for the tail of a longer text (what a command printed, cut to its last bytes):
 * the cut may fall inside a secret and leave its end, which no longer matches the whole secret,
 * at the start of `text`. That end, MIN_SECRET_ANYWHERE characters or more, is replaced too.
 */
export function withoutSecretsInTail(text: string, secrets: readonly string[]): string {
  let out = withoutSecrets(text, secrets);
  for (const s of secrets) {
    for (let k = s.length - 1; k >= MIN_SECRET_ANYWHERE; k--) {
      if (out.startsWith(s.slice(s.length - k))) {
        out = `<redacted>${out.slice(k)}`;
        break;
      }
    }
  }
  return out;
}

/** Shorter secret parts are replaced only inside the whole value, so "-e" is never mangled by a secret "e". */
const MIN_SECRET_ANYWHERE = 4;

/**
 * argv with every TSIG secret replaced by `<redacted>`, as commander parsed it. `argv` may start
 * with the program name `dnsbench` (as the report's `command` does). Over-redaction is fine: any
 * token that contains a secret loses it, whatever flag it belongs to.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const named = argv[0] === 'dnsbench';
  const args = named ? argv.slice(1) : argv;
  // The run's own keys as the parser saw them (from argv as given), and any -y inside another
  // token (an --event's shell command): each secret goes wherever it appears.
  const values = tsigValues(args).filter((v) => v !== '');
  const secrets = [...values.map((v) => v.slice(v.lastIndexOf(':') + 1)), ...args.flatMap((t) => redactShellSecrets(t).secrets)];
  return argv.map((token, i) => {
    if (named && i === 0) return token;
    let out = token;
    for (const v of values) out = out.split(v).join(redactTsig(v));
    return withoutSecrets(redactShellSecrets(out).text, secrets);
  });
}
