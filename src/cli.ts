// The commander program: argv -> which command and its raw (string) options. No validation here
// beyond what commander does (unknown flags, missing values); config.ts validates values. Exported
// for tests, which parse argv without running anything.
import { Command, Option } from 'commander';
import type { RawRunOptions } from './config.js';
import { VERSION } from './version.js';
import type { RawReportOptions } from './commands/report.js';
import { addTransportOptions, TRANSPORT_EXAMPLES } from './cli-transport.js';
import type { RawMergeOptions } from './commands/merge.js';
import { addGateOptions } from './gates/cli.js';

export type Parsed =
  | { command: 'run'; options: RawRunOptions }
  | { command: 'serve'; options: RawServeOptions }
  | { command: 'demo'; options: RawDemoOptions }
  | { command: 'report'; files: string[]; options: RawReportOptions }
  | { command: 'merge'; files: string[]; options: RawMergeOptions };

export interface RawServeOptions {
  address?: string;
  port?: string;
  zone?: string;
  drop?: string;
  delay?: string;
  truncate?: string;
  garbage?: string;
  wrongId?: string;
  servfail?: string;
  seed?: string;
  allowNonLoopback?: boolean;
  tcp?: boolean;
  capacity?: string;
  capacityLatency?: string;
}

export interface RawDemoOptions {
  timeLimit?: string;
  out?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const RUN_EXAMPLES = `
Examples:
  dnsbench -s 127.0.0.1 -p 5353 -d querysets/demo.txt -l 10
      10 seconds against one server, dnsperf-style report plus percentiles
  dnsbench -s 172.28.0.99 -d test.txt -l 60 -T 4 -c 16 -q 400
      the queryperf job ("eleven copies and awk") in one process
  dnsbench -s 127.0.0.1 -d queries.txt -l 30 -Q 50000 --json run.json
      open-loop 50k qps; latency also reported from the scheduled send time
  cat queries.txt | dnsbench -s ::1 -n 3
      three passes through stdin${TRANSPORT_EXAMPLES}

Totals are global: -c, -q and -Q are split across the -T workers in equal shares, the remainder
going one each to the first workers (-q 100 over 3 sockets = 34+33+33). -v prints the split.

Several targets: -s is repeatable (-s vip=127.0.0.1:5300 -s dns1=127.0.0.1:5301). By default each
target is run in turn with identical settings and the full -l each; --interleave measures them all
at once (same queries, same time window): -c, -q and -Q then apply per target, as they would in a
sequential run, and the header prints the totals. A comparison against the first target follows
the per-target blocks, and goes into --json and --html (--csv holds the interval series).
  dnsbench -s vip=127.0.0.1:5300 -s dns1=127.0.0.1:5301 -d q.txt -l 10 --interleave --html r.html

Exit codes: 0 ok, 1 a --gate failed, 2 bad flag or input (nothing sent),
            3 the run failed (e.g. nothing answered) or an output file could not be written,
            130 stopped by a second Ctrl-C.`;

export function addRunOptions(cmd: Command): Command {
  cmd
    .option('-s, --server <addr>', 'server: host, host:port, [v6]:port, optionally label=...; repeatable (default: 127.0.0.1)', collect)
    .option('-p, --port <port>', 'default server port (default: 53; 853 with -m dot, 443 with -m doh)')
    .option('-d, --datafile <file>', 'query file, "name type" per line; - for stdin (default: -)')
    .option('-l, --time-limit <secs>', 'stop sending after this many seconds (fractions allowed)')
    .option('-n, --runs <n>', 'passes through the query file; with -l, whichever ends first (default without -l: 1)')
    .option('-c, --clients <n>', 'UDP sockets (or TCP/DoT/DoH connections) in total (default: one per worker thread)')
    .option('-T, --threads <n>', 'worker threads (default: CPU cores, at most -c)')
    .option('-q, --outstanding <n>', 'outstanding queries in total, split across sockets (default: 100)')
    .option('-Q, --max-qps <n>', 'global rate limit in queries per second (open loop; split across workers)')
    .option('-t, --timeout <secs>', 'seconds before an unanswered query counts as lost (default: 5)')
    .option('-S, --stats-interval <secs>', 'print "<unix time>: <qps>" every N seconds')
    .option('-e, --edns', 'add an EDNS0 OPT record (UDP size 4096)')
    .option('-D, --dnssec', 'set the DO bit (implies -e)')
    .option('-E, --edns-option <code:hex>', 'add an EDNS option, e.g. 10:0011223344556677; repeatable (implies -e)', collect)
    .option('-b, --buffer-size <KB>', 'socket send/receive buffer size in KB (default: the OS default)')
    .option('-a, --local-addr <addr[,addr...]>', 'local address(es) to send from, spread round-robin over the sockets')
    .option('-x, --local-port <port>', 'first local port; sockets use consecutive ports')
    .option('-R, --no-recurse', 'clear the RD bit (queryperf -R)')
    .addOption(new Option('-f, --family <family>', 'address family for host names').choices(['inet', 'inet6', 'any']))
    .option('-v, --verbose', 'print one line per query and how totals were split')
    .option('--json <file>', 'write the JSON report (the source of truth) to FILE; - for stdout')
    .option('--title <text>', 'name this run in every output')
    .option('--interleave', 'measure all -s targets at once, one query stream round-robin over them (-c/-q/-Q per target)')
    .option('--html <file>', 'write a self-contained HTML report (charts, comparison; opens offline)')
    .option('--csv <file>', 'write the interval series of every target as CSV')
    .option('--quiet', 'print nothing but errors (use with --json)');
  return addTransportOptions(cmd);
}

export function buildProgram(onParsed: (p: Parsed) => void): Command {
  const program = new Command('dnsbench')
    .description('DNS performance benchmark: a faster, more honest dnsperf/queryperf with percentiles, JSON and HTML')
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);
  addGateOptions(addRunOptions(program).addHelpText('after', RUN_EXAMPLES), { run: true });
  program.action((options: RawRunOptions) => onParsed({ command: 'run', options }));

  program
    .command('serve')
    .description('run the embedded authoritative responder on loopback (for demos, tests and calibration)')
    .option('--address <addr>', 'loopback address to listen on (default: 127.0.0.1)')
    .option('-p, --port <port>', 'UDP port; 0 picks a free one (default: 5353)')
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
    .description('start the embedded responder on a free loopback port, benchmark it with the bundled queries, write reports/demo.json')
    .option('-l, --time-limit <secs>', 'length of the benchmark (default: 5)')
    .option('--out <dir>', 'where to write the reports (default: reports)')
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
    .argument('<files...>', 'JSON reports written by --json')
    .option('-o, --output <file>', 'where to write the merged JSON report, - for stdout (required)')
    .option('--force', 'merge even when the runs have different targets or query sets')
    .option('--title <text>', 'title of the merged report')
    .option('--quiet', 'print nothing but errors')
    .addHelpText('after', '\nExample:\n  dnsbench merge gen1.json gen2.json -o all.json && dnsbench report all.json --gate "p99<2ms"')
    .action((files: string[], options: RawMergeOptions) => onParsed({ command: 'merge', files, options }));

  return program;
}
