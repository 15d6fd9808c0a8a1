// The commander program: argv -> which command and its raw (string) options. No validation here
// beyond what commander does (unknown flags, missing values); config.ts validates values. Exported
// for tests, which parse argv without running anything.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import type { RawRunOptions } from './config.js';
import { VERSION } from './version.js';
import type { RawReportOptions } from './commands/report.js';
import type { RawServeOptions } from './commands/serve.js';
import type { RawDemoOptions } from './commands/demo.js';
import { addRunOptions, RUN_EXAMPLES } from './cli-options.js';
import type { RawMergeOptions } from './commands/merge.js';
import { addGateOptions } from './gates/cli.js';
import type { RawKubernetesOptions } from './commands/kubernetes.js';
import type { RawCapacityOptions } from './capacity/config.js';

export type Parsed =
  | { command: 'run'; options: RawRunOptions }
  | { command: 'serve'; options: RawServeOptions }
  | { command: 'demo'; options: RawDemoOptions }
  | { command: 'report'; files: string[]; options: RawReportOptions }
  | { command: 'merge'; files: string[]; options: RawMergeOptions }
  | { command: 'kubernetes'; options: RawKubernetesOptions }
  | { command: 'capacity'; options: RawCapacityOptions };

export function buildProgram(onParsed: (p: Parsed) => void): Command {
  const program = new Command('dnsbench')
    .description('DNS performance benchmark: a faster, more honest dnsperf/queryperf with percentiles, JSON and HTML')
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    // A stray word is named and a flag suggested (strayArgument); commander's "too many arguments" says neither.
    .allowExcessArguments(true)
    // Ours below (commander's implicit one is off for a program with its own action).
    .helpCommand(false);
  addGateOptions(addRunOptions(program).addHelpText('after', RUN_EXAMPLES), { run: true });
  program.action((options: RawRunOptions, cmd: Command) => {
    const swallowed = flagTakenAsValue(cmd, options as Record<string, unknown>);
    if (swallowed !== null) program.error(swallowed, { exitCode: 2, code: 'dnsbench.flagAsValue' });
    if (cmd.args.length > 0) {
      const stray = cmd.args[0]!;
      program.error(strayArgument(stray, existsSync, switchBefore(program, stray)), { exitCode: 2, code: 'dnsbench.unexpectedArgument' });
    }
    onParsed({ command: 'run', options });
  });

  program
    .command('serve')
    .description('run the embedded authoritative responder on loopback (for demos, tests and calibration)')
    .option('--address <addr>', 'loopback address to listen on (default: 127.0.0.1)')
    .option('-p, --port <port>', 'port to answer on (UDP, and TCP with --tcp); 0 picks a free one (default: 5353)')
    .option('--zone <file>', 'zone file to answer from (default: the bundled demo.test zone)')
    .option('--drop <ratio>', 'fault (udp and tcp): drop this share of queries, 0..1')
    .option('--delay <ms>', 'fault (udp and tcp): delay every answer by this many milliseconds')
    .option('--truncate <ratio>', 'fault (udp only): answer this share with TC=1 and no records; over tcp the answer is sent whole')
    .option('--garbage <ratio>', 'fault (udp and tcp): answer this share with random bytes')
    .option('--wrong-id <ratio>', 'fault (udp and tcp): answer this share with a different ID')
    .option('--servfail <ratio>', 'fault (udp and tcp): answer this share with SERVFAIL')
    .option('--seed <n>', 'seed for the fault draws (reproducible runs)')
    .option('--tcp', 'also answer over TCP on the same port (for -m tcp and --tcp-fallback)')
    .option('--capacity <qps>', 'answer at most this many queries per second (udp and tcp together); excess queries are dropped silently')
    .option('--capacity-latency <ms>', 'with --capacity: add queueing delay as the load nears the limit, this many ms at 90% load and above')
    .option('--allow-non-loopback', 'answer on a non-loopback address (off by default: a test responder must not face a network)')
    .addHelpText('after', '\nExample:\n  dnsbench serve -p 5353 --drop 0.1 &\n  dnsbench -s 127.0.0.1:5353 -d querysets/demo.txt -l 5')
    .action((options: RawServeOptions) => onParsed({ command: 'serve', options }));

  program
    .command('demo')
    .description('start the embedded responder on a free loopback port, benchmark it with the bundled queries, write reports/demo.json and reports/demo.html')
    .option('-l, --time-limit <secs>', 'length of the benchmark (default: 5)')
    .option('--out <dir>', 'where to write the reports (default: reports)')
    .addHelpText(
      'after',
      `
Examples:
  dnsbench demo
      5 s against the responder; reports/demo.json and reports/demo.html (what npm run demo runs)
  dnsbench demo -l 2 --out /tmp/demo
      2 s, the reports in /tmp/demo`,
    )
    .action((options: RawDemoOptions) => onParsed({ command: 'demo', options }));

  program
    .command('report')
    .description('re-render saved JSON reports; several are shown in turn, then compared against the first')
    .argument('<files...>', 'JSON reports written by --json')
    .option('--json <file>', 'write the combined report as JSON (- for stdout)')
    .option('--html <file>', 'write the combined report as a self-contained HTML page')
    .option('--csv <file>', 'write the interval series of every target as CSV')
    .option('--quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      '\nEvery target is compared against the first one (of the first file).\n' +
        'Example:\n  dnsbench report reports/last-week.json reports/today.json --html compare.html',
    )
    .action((files: string[], options: RawReportOptions) => onParsed({ command: 'report', files, options }));
  addGateOptions(program.commands.find((c) => c.name() === 'report')!, { run: false });

  program
    .command('merge')
    .description('merge saved runs of the same benchmark (e.g. from several load generators) into one exact report')
    .argument('<files...>', 'JSON reports written by --json; - reads them from stdin (concatenated, or as kubectl logs --prefix prints them)')
    .option('-o, --output <file>', 'where to write the merged JSON report, - for stdout (required)')
    .option('--force', 'merge even when the runs have different targets or query sets')
    .option('--title <text>', 'title of the merged report')
    .option('--quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      '\nRuns made with --segment must be segments 1..N of one query file, each exactly once.\n' +
        'Examples:\n  dnsbench merge gen1.json gen2.json -o all.json && dnsbench report all.json --gate "p99<2ms"\n' +
        '  kubectl logs -l job-name=JOB --prefix --tail=-1 | dnsbench merge - -o all.json',
    )
    .action((files: string[], options: RawMergeOptions) => onParsed({ command: 'merge', files, options }));

  addKubernetesCommand(program, onParsed);
  addCapacityCommand(program, onParsed);

  // `dnsbench help [command]`, as git and most CLIs have it; `help run` is the run's own help.
  program
    .command('help')
    .description('show help for dnsbench or one of its commands')
    .argument('[command]', 'a command: serve, demo, report, merge, kubernetes, capacity (default: the benchmark itself)')
    .action((topic: string | undefined) => {
      const target = topic === undefined || topic === 'run' ? program : program.commands.find((c) => c.name() === topic || c.aliases().includes(topic));
      if (target === undefined || target.name() === 'help') {
        const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
        return program.error(`help: no command '${JSON.stringify(topic).slice(1, -1)}' (commands: ${names.join(', ')})`, { exitCode: 2, code: 'dnsbench.unknownCommand' });
      }
      return target.help();
    });
  return program;
}

const K8S_HELP = `
Prints the manifest (YAML) on stdout and, on stderr, the commands that collect and merge the
reports. Pod i runs: dnsbench RUN-FLAGS --segment $((JOB_COMPLETION_INDEX+1))/N --start-at T --json -
Example:
  dnsbench k8s --generators 4 --image registry.example/dnsbench:0.1 -s 172.28.0.99 -d queries.txt -l 60 | kubectl create -f -
See docs/kubernetes.md (sizing N, the Dockerfile, the merge).`;

/** \`dnsbench kubernetes\` (alias k8s): its own flags, then the run flags as for a run. */
function addKubernetesCommand(program: Command, onParsed: (p: Parsed) => void): void {
  const cmd = program
    .command('kubernetes')
    .alias('k8s')
    .description('print a Kubernetes manifest (ConfigMap, Indexed Job) that runs this benchmark from N generator pods, started together')
    .option('--generators <n>', 'number of generator pods (segments), 1..1000 (required)')
    .option('--image <image>', 'container image with dnsbench on its PATH (required; docs/kubernetes.md has a Dockerfile)')
    .option('--namespace <ns>', 'namespace of the objects (default: kubectl\'s current one)')
    .option('--name <name>', 'Job name (default: dnsbench-YYYYMMDD-HHMMSS)')
    .option('--start-delay <secs>', 'seconds from now until every pod starts sending, 5..3600 (default: 60)')
    .option('--queries-volume <claim>', 'read -d from this PersistentVolumeClaim (for files over the 1 MiB a ConfigMap holds)')
    .option('--cpus <n>', 'CPU cores per pod, requests = limits; also the pods\' -T (default: -T, else 2)')
    .option('--memory <quantity>', 'memory per pod, requests = limits (default: 1Gi)')
    .option('--spread <how>', 'pod anti-affinity over nodes: preferred or required (default: preferred)');
  addRunOptions(cmd);
  // Accepted only to be refused with a pointer to the merged report (planKubernetes).
  for (const flag of ['--gate <expr>', '--baseline <file>', '--max-regression <list>', '--junit <file>', '--markdown <file>']) {
    cmd.addOption(new Option(flag).hideHelp());
  }
  cmd.addHelpText('after', K8S_HELP).action((options: RawKubernetesOptions) => onParsed({ command: 'kubernetes', options }));
}

const CAPACITY_HELP = `
Each step runs at a fixed rate (-Q) for --step-time seconds on the same sockets: first --warmup
seconds (a separate run, not counted), then the rest, measured and judged against --slo. The rate
doubles from --start until a step fails, then the gap between the highest pass and the lowest
failure is halved until it is within --precision. --ramp instead raises the rate linearly from 0
to --max over --ramp-time on one run (like resperf) and judges each --window of it.
Every run flag applies (-m, -y, -e, -a, -c, -T, ...; several -s with --interleave: the search
follows the first, the others are measured at the same steps); -t defaults to 1 s, -q to
10000 and -b to 4096 here. When the generator, not the server, is the limit, the search stops and says so.

Examples:
  dnsbench capacity -s 127.0.0.1:5300 -d querysets/mixed.txt --slo 'p99<5ms,loss<0.1%' --html cap.html
  dnsbench capacity -s 127.0.0.1:5300 -d q.txt --slo 'p99<2ms,loss<0.1%' --start 20000 --max 400000 --json cap.json
  dnsbench capacity -s 127.0.0.1:5300 -d q.txt --slo 'loss<1%' --ramp --max 200000 --ramp-time 30
  dnsbench capacity -s 127.0.0.1:5300 -d q.txt --slo 'p99<5ms' --gate 'capacity>=50000'

Exit codes: 0 a capacity was found (or the SLO held up to --max), 1 the SLO failed at --start
(or a --gate failed), 2 bad flag or input, 3 nothing answered, or the generator was the limit
(no server figure), 128+n stopped by a signal. The last line is "Capacity: ...".`;

/** `dnsbench capacity`: its own flags, then every run flag, then the CI outputs. */
function addCapacityCommand(program: Command, onParsed: (p: Parsed) => void): void {
  const cmd = program
    .command('capacity')
    .description('find the highest query rate a server sustains within an SLO (step search, or a resperf-like ramp)')
    .option('--slo <list>', "the service level each rate must meet, gate syntax, comma-separated (required), e.g. 'p99<5ms,loss<0.1%'")
    .option('--start <qps>', 'first rate of the search (default: 1000)')
    .option('--max <qps>', 'highest rate to try (search; default: no limit), or the top of the --ramp (required there)')
    .option('--step-time <secs>', 'seconds per step, warm-up included (default: 5)')
    .option('--warmup <secs>', 'seconds at the start of each step not counted, run separately (default: 1)')
    .option('--precision <pct>', 'stop when the highest pass and the lowest failure are within this many percent (default: 5)')
    .option('--ramp', 'instead of steps, raise the rate linearly from 0 to --max over --ramp-time on one run (like resperf)')
    .option('--ramp-time <secs>', 'with --ramp: seconds from 0 to --max (default: 60)')
    .option('--window <secs>', 'with --ramp: the sliding window each SLO check covers (default: 1)');
  addRunOptions(cmd);
  // The search sets these itself (capacity/config.ts refuses them with a reason): not in its help.
  for (const o of cmd.options) {
    if (['--max-qps', '--time-limit', '--runs', '--one-pass', '--stats-interval', '--segment', '--start-at'].includes(o.long ?? '')) o.hideHelp();
    if (o.long === '--timeout') o.description = 'seconds before an unanswered query counts as lost (default here: 1)';
    if (o.long === '--outstanding') o.description = 'outstanding queries in total, split across sockets (default here: 10000)';
    if (o.long === '--interval') o.description = "length of the report's intervals (default: 1; 0.25 with --ramp)";
    if (o.long === '--buffer-size') o.description = 'socket send/receive buffer size in KB (default here: 4096, capped by net.core.rmem_max)';
  }
  addGateOptions(cmd, { run: false });
  cmd.addHelpText('after', CAPACITY_HELP).action((options: RawCapacityOptions) => {
    const swallowed = flagTakenAsValue(cmd, options as Record<string, unknown>);
    if (swallowed !== null) cmd.error(swallowed, { exitCode: 2, code: 'dnsbench.flagAsValue' });
    onParsed({ command: 'capacity', options });
  });
}

/**
 * "-c/--clients: expected a value, got the flag -d ...": commander gives an option that takes a
 * value the next word even when it is a flag, so queryperf's `-c` (a switch there: print response
 * codes) swallowed `-d` and the run failed on a stray file name. The value is named only when it
 * is one of the command's own flags (never a user value, which may be a secret). Null when none.
 * Values that read as negative numbers (`-1`) are left to config.ts, which names the range.
 */
export function flagTakenAsValue(cmd: Command, options: Record<string, unknown>): string | null {
  const flags = new Set<string>();
  for (const o of cmd.options) {
    if (o.short !== undefined) flags.add(o.short);
    if (o.long !== undefined) flags.add(o.long);
  }
  for (const o of cmd.options) {
    if (!o.required && !o.optional) continue;
    const value = options[o.attributeName()];
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== 'string' || /^-\d/.test(v) || !flags.has(v)) continue;
      const name = [o.short, o.long].filter((x) => x !== undefined).join('/');
      const queryperf = o.short === '-c' ? " (queryperf's -c, print response codes, is not needed: they are always shown)" : '';
      return `${name}: expected a value, got the flag ${v}${queryperf}`;
    }
  }
  return null;
}

/**
 * The flag that takes no value (-e, -v, -D ...) written just before the stray word `arg` on the
 * command line, as the user typed it; null when there is none. `-e 4096` is queryperf/dnsperf
 * muscle memory for an EDNS buffer size, which is --edns-size here.
 */
function switchBefore(program: Command, arg: string): string | null {
  // commander keeps the argv it parsed in rawArgs (untyped, set by parse() in every release since 2.x).
  const raw = (program as unknown as { rawArgs?: readonly string[] }).rawArgs ?? [];
  for (let i = 1; i < raw.length; i++) {
    if (raw[i] !== arg) continue;
    const prev = raw[i - 1]!;
    const o = program.options.find((x) => x.short === prev || x.long === prev);
    if (o !== undefined && !o.required && !o.optional) return prev;
  }
  return null;
}

/**
 * "unexpected argument '25353' (did you mean -p 25353?)": a word where a flag was expected,
 * usually a value whose flag was forgotten. The guess: a number from 512 (--edns-size's range)
 * after -e/--edns -> --edns-size, a port number -> -p, an address or host:port -> -s, an existing
 * file -> -d. `after` is the flag that takes no value written just before the word (named in the
 * message), or null.
 */
export function strayArgument(arg: string, fileExists: (p: string) => boolean = existsSync, after: string | null = null): string {
  const shown = JSON.stringify(arg).slice(1, -1);
  const isPort = /^\d{1,5}$/.test(arg) && Number(arg) >= 1 && Number(arg) <= 65535;
  const guess =
    isPort && Number(arg) >= 512 && (after === '-e' || after === '--edns')
      ? `--edns-size ${arg}`
      : isPort
      ? `-p ${arg}`
      : isIP(arg) !== 0 || /^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(arg) || /^(\d{1,3}\.){3}\d{1,3}:\d{1,5}$/.test(arg)
        ? `-s ${arg}`
        : arg !== '' && !arg.startsWith('-') && fileExists(arg)
          ? `-d ${arg}`
          : null;
  // Echoed only when it is a port, an address or an existing file: any other stray word may be a
  // value whose flag was lost, such as a TSIG secret (README "TSIG"), and is never printed.
  if (guess === null) return 'too many arguments: a word where a flag was expected (not shown: it may be a value such as a key; give each value its flag)';
  return `unexpected argument '${shown}'${after !== null ? `: ${after} takes no value` : ''} (did you mean ${guess}?)`;
}
