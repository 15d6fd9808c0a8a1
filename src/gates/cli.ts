// The CI flags, added to the run and to `dnsbench report` (kept here so cli.ts stays small).
import type { Command } from 'commander';
import { COUNT_METRICS, LATENCY_METRICS } from './metrics.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const GATE_HELP = `
CI gates (exit 1 when one fails; see README "CI gates, baselines and merging"):
  dnsbench -s vip=127.0.0.1:5353 -d q.txt -l 10 --gate 'p99<2ms' --gate 'loss<0.1%' --gate 'rcode.SERVFAIL<0.5%'
  dnsbench -s 127.0.0.1 -d q.txt -l 10 --repeat 3 --baseline last.json --max-regression qps=5%,p99=10% --junit gates.xml
A gate is [target:]metric<op>value[unit], op one of < <= > >= ==. Metrics:
  latency, unit s, ms or us:  ${LATENCY_METRICS.join(' ')}, and corrected.<latency> (with -Q)
  qps (plain number), capacity (qps; dnsbench capacity), loss (%), rcode.<NAME> (count, or with % a share of completed)
  counters (count, or with % a share of sent): ${Object.keys(COUNT_METRICS).join(' ')}`;

export function addGateOptions(cmd: Command, o: { run: boolean }): Command {
  cmd
    .option('--gate <expr>', 'fail (exit 1) unless EXPR holds, e.g. p99<2ms, qps>=50000, loss<0.1%, vip:p99.9<=10ms; repeatable', collect)
    .option('--baseline <file>', 'compare each target with the same target of a saved JSON report (needs --max-regression)')
    .option('--max-regression <list>', 'how much worse than --baseline each metric may get, e.g. qps=5%,p99=10%,loss=0.1%');
  if (o.run) cmd.option('--repeat <n>', 'run N times; gates use the median of each metric and the run-to-run spread');
  cmd
    .option('--junit <file>', 'write JUnit XML (one test case per gate) for CI test tabs')
    .option('--markdown <file>', 'write a Markdown summary (tables per target, gates) for CI job pages');
  if (o.run) cmd.addHelpText('after', GATE_HELP);
  return cmd;
}
