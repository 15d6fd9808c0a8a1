// The run flags (dnsperf's and ours) as commander options, shared by the run itself and by
// `dnsbench kubernetes`, which rebuilds a pod's command line from the same definitions. Flag
// definitions only: no parsing beyond commander's, no validation (config.ts does that).
import { Option, type Command } from 'commander';
import { addTransportOptions, TRANSPORT_EXAMPLES } from './cli-transport.js';

export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export const RUN_EXAMPLES = `
Examples:
  dnsbench -s 127.0.0.1 -p 5353 -d querysets/demo.txt -l 10
      10 seconds against one server, dnsperf-style report plus percentiles
  dnsbench -s 172.28.0.99 -d test.txt -l 60 -T 4 -c 16 -q 400
      the queryperf job ("eleven copies and awk") in one process
  dnsbench -s 127.0.0.1 -d queries.txt -l 30 -Q 50000 --json run.json
      open-loop 50k qps; latency also reported from the scheduled send time
  cat queries.txt | dnsbench -s ::1 -n 3
      three passes through stdin
  dnsbench -s 127.0.0.1 -d queries.txt -l 60 -S 1
      a "<unix time>.<usec>: <qps>" line every second (dnsperf -S; queryperf's -i)
  dnsbench report monday.json today.json --html compare.html
      two saved --json runs side by side, every target compared with the first${TRANSPORT_EXAMPLES}

Totals are global: -c, -q and -Q are split across the -T workers in equal shares, the remainder
going one each to the first workers (-q 100 over 3 sockets = 34+33+33). -v prints the split.
dnsperf command lines run as they are: what cannot run as given is adjusted with one
"Warning: ..." line on stderr, in dnsperf's words (-T 4 -c 2 runs 2 threads; -c 200 with the
default -q 100 runs 100 sockets, the same 100 outstanding queries; -S 0.0011 prints every 0.01 s;
-m doh -O doh-method=POST runs as --doh-method POST). Not supported: dnsperf's -u, -B, -W and
its other -O settings, refused with one line saying so.

Several targets: -s is repeatable (-s vip=127.0.0.1:5300 -s dns1=127.0.0.1:5301). By default each
target is run in turn with identical settings and the full -l each; --interleave measures them all
at once (same queries, same time window): -c, -q and -Q then apply per target, as they would in a
sequential run, and the header prints the totals. A comparison against the first target follows
the per-target blocks, and goes into --json and --html (--csv holds the interval series).
  dnsbench -s vip=127.0.0.1:5300 -s dns1=127.0.0.1:5301 -d q.txt -l 10 --interleave --html r.html

Failover drills and operations checks (README "Failover drills and operations checks"):
  dnsbench -s 198.18.0.100 -d q.txt -l 4 -Q 500 -t 0.5 --interval 0.1 --nsid --event '1=ip link set eth0 down' --html drill.html
      the outage window, the queries lost in it, and who answered before and after
  dnsbench -s 198.18.0.12 -d views.txt -l 3 -y hmac-md5:chinanet:SECRET --expect --watch-serial view.test
      every answer checked against the key view's expect= column; when a new serial reached it

Exit codes: 0 ok, 1 a --gate failed, 2 bad flag or input (nothing sent),
            3 the run failed (e.g. nothing answered) or an output file could not be written,
            128+n stopped by a signal
            (130 Ctrl-C, 143 SIGTERM; the report and files are still written).`;

export function addRunOptions(cmd: Command): Command {
  cmd
    .option('-s, --server <addr>', 'server: host, host:port, [v6]:port, optionally label=...; repeatable (default: 127.0.0.1)', collect)
    .option('-p, --port <port>', 'default server port (default: 53; 853 with -m dot, 443 with -m doh)')
    .option('-d, --datafile <file>', 'query file, "name type" per line; - for stdin (default: -)')
    .option('-l, --time-limit <secs>', 'stop sending after this many seconds (any fraction, e.g. 0.5; 0 = no limit)')
    .option('-n, --runs <n>', 'passes through the query file; with -l, whichever ends first (default without -l: 1)')
    .option('-1, --one-pass', 'one pass through the query file (queryperf -1; the same as -n 1)')
    .option('-c, --clients <n>', 'UDP sockets (or TCP/DoT/DoH connections) in total, at most 1024 and at most -q (default: one per thread)')
    .option('-T, --threads <n>', 'send/receive loops, run on min(-T, cores) threads (the main thread and worker threads); at most -c and -Q (default: CPU cores)')
    .option('-q, --outstanding <n>', 'outstanding queries in total, split across sockets, at most 65535 per socket (default: 100)')
    .option('-Q, --max-qps <n>', 'global rate limit in queries per second (open loop; split across workers)')
    .option('-t, --timeout <secs>', 'seconds before an unanswered query counts as lost, any fraction above 0 (default: 5)')
    .option('-S, --stats-interval <secs>', 'print "<unix time>.<usec>: <qps>" every N seconds, at least 0.01 (dnsperf -S: answers that arrived in each interval)')
    .option('--interval <secs>', 'length of the report\'s time series intervals, 0.05 and up (default: 1); each query counts in the interval it was sent in')
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
    .option('--quiet', 'print nothing but errors (use with --json)')
    .option('--io <path>', 'UDP I/O: auto (native sendmmsg/recvmmsg when the addon loads), native, or dgram (Node\'s sockets) (default: auto)')
    .option('--segment <I/N>', 'send only segment I of N of the query file (query i when i mod N = I-1): N generators send it all once per pass')
    .option('--start-at <time>', 'start sending at this time: RFC 3339 with offset, or Unix seconds; within 24 h (clocks must be NTP-synchronized)')
    .option('--event <secs=command>', 'run a shell command this many seconds into the run, e.g. \'3=ip link set eth0 down\'; start, end and exit status go into the report and the timeline (repeatable; bounded to 30 s; a failure is reported, never fatal)', collect)
    .option('--outage-below <pct>', 'timeline: an interval in which fewer than this share of the queries sent got an answer is part of an outage (default: 50)')
    .option('--degraded-above <latency>', 'timeline: an interval whose p99 is above this (e.g. 20ms) is degraded (default: 10x the run\'s p50)')
    .option('--expect', 'check each answer against the query file\'s expect=VALUE[,VALUE...] column (records as a set, or an RCODE name, or NODATA); a different answer counts as a wrong answer, not completed')
    .option('--expect-file <file>', 'expected answers as "name type expected..." lines, for query files that must stay dnsperf-compatible (implies --expect for those queries)')
    .option('--rrset-order', 'for every name answered with two or more records: the share of each record in first place, the orders seen, and a verdict (fixed, cyclic, random, uneven)')
    .option('--watch-serial <zone>', 'every interval, one SOA query for ZONE to each target (outside the load and its counters; signed with -y): when each target served each serial');
  return addTransportOptions(cmd);
}

