// Every total the user gives (-c sockets, -q outstanding, -Q rate) is a global total, split
// across workers (and sockets) by one rule: equal shares, and the remainder goes one each to the
// first parts. E.g. -q 100 over 3 sockets -> 34, 33, 33. (hey, autocannon and wrk2 users are
// confused by per-worker rates; dnsbench never multiplies a flag by the thread count.)
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const rem = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < rem ? 1 : 0));
}

/** One -T loop's share of the sockets and the window (the rate is split per run, see session.ts). */
export interface WorkerPlan {
  /** Window of each of this loop's sockets (one entry per socket). */
  socketWindows: number[];
  /** Index of this loop's first socket among all sockets (for -a spreading and -x ports). */
  firstSocket: number;
}

/**
 * Loops never outnumber sockets (a loop needs one); sockets never outnumber the window (each
 * needs one slot). config.ts has already lowered -T to fit, with dnsperf's kind of warning.
 */
export function planWorkers(o: { threads: number; sockets: number; outstanding: number }): WorkerPlan[] {
  const sockets = Math.min(o.sockets, o.outstanding);
  const threads = Math.max(1, Math.min(o.threads, sockets));
  const socketsPer = split(sockets, threads);
  const windows = split(o.outstanding, sockets);
  let next = 0;
  return socketsPer.map((n) => {
    const plan: WorkerPlan = { socketWindows: windows.slice(next, next + n), firstSocket: next };
    next += n;
    return plan;
  });
}

/** One line saying how the totals were split, for -v and the report; `rate` is split like -q. */
export function describePlan(plans: readonly WorkerPlan[], rate: number | null = null): string {
  const sockets = plans.reduce((a, p) => a + p.socketWindows.length, 0);
  const window = plans.reduce((a, p) => a + p.socketWindows.reduce((x, y) => x + y, 0), 0);
  const rates = rate === null ? null : split(rate, plans.length);
  const parts = plans.map(
    // "outstanding", dnsperf's word for -q, rather than our internal "window".
    (p, i) => `worker ${i}: ${p.socketWindows.length} socket(s), ${p.socketWindows.join('+')} outstanding${rates === null ? '' : `, ${rates[i]} qps`}`,
  );
  return `${plans.length} worker(s), ${sockets} socket(s), ${window} outstanding in total: ${parts.join('; ')}`;
}

/** --interleave: what each target gets and what that adds up to, for the header and the report. */
export function describeInterleave(plans: readonly WorkerPlan[], targets: number, maxQps: number | null): string {
  const sockets = plans.reduce((a, p) => a + p.socketWindows.length, 0);
  const window = plans.reduce((a, p) => a + p.socketWindows.reduce((x, y) => x + y, 0), 0);
  const rate = maxQps === null ? '' : `, ${maxQps} qps`;
  const totalRate = maxQps === null ? '' : `, ${maxQps * targets} qps`;
  return (
    `${targets} targets at once, each with its own ${sockets} socket(s), ${window} outstanding${rate} ` +
    `(-c, -q and -Q are per target; in total ${sockets * targets} socket(s), ${window * targets} outstanding${totalRate})`
  );
}
