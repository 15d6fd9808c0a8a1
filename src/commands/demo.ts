// `dnsbench demo` (the README's first command): start the embedded responder on a free loopback
// port, benchmark it with the bundled query set, print the report and keep it under reports/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../config.js';
import { loadQuerySet } from '../queryset/load.js';
import { measure } from '../measure.js';
import { PACKAGE_ROOT, runServe } from '../serve/run.js';
import type { Console } from './console.js';
import { stopOnSignals } from './console.js';
import { LivePrinter } from './live.js';
import { machineInfo } from './machine.js';
import { nativeUdp } from './native.js';
import { exitCodeOf, finishRun } from './finish.js';

/** What commander hands over for `dnsbench demo`. */
export interface RawDemoOptions {
  timeLimit?: string;
  out?: string;
}

export async function demoCommand(o: RawDemoOptions, con: Console): Promise<number> {
  const outDir = o.out ?? join(PACKAGE_ROOT, 'reports');
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'demo.json');
  const html = join(outDir, 'demo.html');
  const responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, (line) => con.err(line + '\n'));
  try {
    // The echoed command line is the run's whole configuration, -T and -c included, so that pasting
    // it back (with the responder still up) runs the same benchmark.
    const args = ['-s', `demo=127.0.0.1:${responder.port}`, '-d', join(PACKAGE_ROOT, 'querysets', 'demo.txt'), '-l', o.timeLimit ?? '5', '-T', '1', '-c', '2', '--title', 'dnsbench demo', '--json', json, '--html', html];
    const config = await resolveConfig(
      { server: [args[1]!], datafile: args[3]!, timeLimit: args[5]!, threads: args[7]!, clients: args[9]!, title: 'dnsbench demo', json, html },
      { stdinIsTTY: false, native: nativeUdp() },
    );
    const querySet = await loadQuerySet(config.queryFile, config.encode);
    con.err(`dnsbench demo: ${config.timeLimitSec} s against the embedded responder (one worker thread; the responder runs on this process's main thread)\n`);
    const command = ['dnsbench', ...args];
    const stop = stopOnSignals(con);
    const report = await measure(config, querySet, { command, machine: machineInfo(), signal: stop.signal, observer: new LivePrinter(config, con, command, true, { queries: querySet.count, signal: stop.signal }), mainThreadBusy: true });
    finishRun(report, config, con, false);
    return exitCodeOf(report, stop.stoppedBy());
  } finally {
    await responder.close();
  }
}
