// Start named, keepalived and dnsdist inside lab hosts and wait (bounded) until they are usable.
// Each server gets its own sub directory of the lab dir (config, zone files, log); the lab keeps
// its pid and destroy() stops it.
import { dig, waitFor, type DigKey, type DigQuery } from './netns-dig.js';
import type { ExecResult, Lab, LabProcess } from './netns.js';
import { dnsdistArgv, dnsdistConf, type DnsdistSpec } from './rigconf/dnsdist.js';
import { keepalivedArgv, keepalivedConf, type VrrpSpec } from './rigconf/keepalived.js';
import { namedArgv, rndcArgv, rndcConf, type RndcSpec } from './rigconf/named.js';

/** How to tell a server is up: one dig that must get one of `rcodes`. */
export interface ReadyProbe {
  query: DigQuery;
  /** Host to dig from. Default the server's own host. */
  from?: string;
  /** Address to ask. Default the server host's address. */
  server?: string;
  key?: DigKey;
  /** Default ['NOERROR']. */
  rcodes?: readonly string[];
  /** Bound on the wait. Default 15 000 ms. */
  deadlineMs?: number;
}

export interface LabServer {
  host: string;
  /** Label: sub directory and log name. */
  label: string;
  /** Absolute path of the server's sub directory of the lab dir. */
  dir: string;
  proc: LabProcess;
  /** ms from spawn to the first good answer. */
  startMs: number;
}

export interface LabNamed extends LabServer {
  /** Runs `rndc -c <dir>/rndc.conf ...command` in the server's host (needs `rndc` in the spec). */
  rndc(...command: string[]): Promise<ExecResult>;
}

async function waitReady(lab: Lab, host: string, proc: LabProcess, probe: ReadyProbe, what: string): Promise<void> {
  const rcodes = probe.rcodes ?? ['NOERROR'];
  const deadlineMs = probe.deadlineMs ?? 15_000;
  let last = 'no answer';
  const ok = await waitFor(
    async () => {
      if (!proc.running()) return 'exited' as const;
      const r = await dig(lab, probe.from ?? host, probe.query, { server: probe.server ?? lab.addr(host), ...(probe.key ? { key: probe.key } : {}), nsid: false });
      last = r.answer ? r.answer.rcode : 'no answer';
      return r.answer && rcodes.includes(r.answer.rcode) ? ('ready' as const) : null;
    },
    deadlineMs,
    50,
  );
  if (ok !== 'ready') {
    const why = ok === 'exited' || !proc.running() ? 'exited' : `did not answer ${probe.query.name} ${probe.query.type ?? 'A'} with ${rcodes.join('/')} within ${deadlineMs} ms (last: ${last})`;
    const log = proc.logTail(30);
    await proc.stop().catch(() => undefined);
    throw new Error(`${what} in ${host} ${why}\n--- ${proc.logFile} (tail) ---\n${log}`);
  }
}

/**
 * Starts named in `host` with the config `conf(dir)` returns (dir: the server's sub directory, where
 * `files` are written first, e.g. zone files), and waits for `probe`. With `rndc`, also writes
 * rndc.conf so the result's rndc() works. Throws with the log tail if it exits or never answers.
 */
export async function startNamedIn(
  lab: Lab,
  host: string,
  o: { label: string; conf: (dir: string) => string; files?: Readonly<Record<string, string>>; rndc?: RndcSpec; probe: ReadyProbe },
): Promise<LabNamed> {
  for (const [name, content] of Object.entries(o.files ?? {})) await lab.writeFile(`${o.label}/${name}`, content);
  const dir = `${lab.dir}/${o.label}`;
  const confFile = await lab.writeFile(`${o.label}/named.conf`, o.conf(dir));
  const rndcFile = o.rndc ? await lab.writeFile(`${o.label}/rndc.conf`, rndcConf(o.rndc)) : null;
  const started = performance.now();
  const proc = lab.spawn(host, o.label, namedArgv(confFile));
  await waitReady(lab, host, proc, o.probe, `named ${o.label}`);
  const startMs = Math.round(performance.now() - started);
  return {
    host,
    label: o.label,
    dir,
    proc,
    startMs,
    rndc: (...command) => {
      if (rndcFile === null) throw new Error(`named ${o.label} has no rndc channel (pass rndc to startNamedIn)`);
      return lab.exec(host, rndcArgv(rndcFile, ...command));
    },
  };
}

/**
 * Starts keepalived (VRRP only) in `host`. Not "ready" in a DNS sense: a MASTER takes the VIP only
 * after ~0.4 s (v3) or ~3.6 s (v2), so wait with waitForVip before measuring anything.
 */
export async function startKeepalivedIn(lab: Lab, host: string, label: string, spec: VrrpSpec): Promise<LabServer> {
  const dir = `${lab.dir}/${label}`;
  const confFile = await lab.writeFile(`${label}/keepalived.conf`, keepalivedConf(spec));
  const proc = lab.spawn(host, label, keepalivedArgv(confFile, dir));
  return { host, label, dir, proc, startMs: 0 };
}

/**
 * Polls `host`'s addresses until `vip` is there (present = true) or gone (false). Resolves the
 * wait in ms, or throws after `deadlineMs` (default 10 000).
 */
export async function waitForVip(lab: Lab, host: string, vip: string, present = true, deadlineMs = 10_000): Promise<number> {
  const started = performance.now();
  const ok = await waitFor(async () => ((await lab.addresses(host)).includes(vip) === present ? true : null), deadlineMs, 20);
  if (ok === null) throw new Error(`VIP ${vip} still ${present ? 'absent from' : 'on'} ${host} after ${deadlineMs} ms`);
  return Math.round(performance.now() - started);
}

/** Starts dnsdist in `host` and waits until a query through it is answered (a backend is up). */
export async function startDnsdistIn(lab: Lab, host: string, label: string, spec: DnsdistSpec, probe: ReadyProbe): Promise<LabServer> {
  const dir = `${lab.dir}/${label}`;
  const confFile = await lab.writeFile(`${label}/dnsdist.conf`, dnsdistConf(spec));
  const started = performance.now();
  const proc = lab.spawn(host, label, dnsdistArgv(confFile));
  await waitReady(lab, host, proc, { server: spec.listen, ...probe }, `dnsdist ${label}`);
  return { host, label, dir, proc, startMs: Math.round(performance.now() - started) };
}
