// Every total the user gives (-c sockets, -q outstanding, -Q rate) is a global total, split
// across workers (and sockets) by one rule: equal shares, and the remainder goes one each to the
// first parts. E.g. -q 100 over 3 sockets -> 34, 33, 33. (hey, autocannon and wrk2 users are
// confused by per-worker rates; dnsbench never multiplies a flag by the thread count.)
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const rem = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < rem ? 1 : 0));
}

export interface WorkerPlan {
  /** Window of each of this worker's sockets (one entry per socket). */
  socketWindows: number[];
  rate: number | null;
  /** Index of this worker's first socket among all sockets (for -x consecutive local ports). */
  firstSocket: number;
}

/**
 * Threads never outnumber sockets (a worker needs one) nor, with -Q, queries per second (each
 * worker needs a rate of at least 1); sockets never outnumber the window (each needs one slot).
 */
export function planWorkers(o: { threads: number; sockets: number; outstanding: number; rate: number | null }): WorkerPlan[] {
  const sockets = Math.min(o.sockets, o.outstanding);
  const threads = Math.max(1, Math.min(o.threads, sockets, o.rate ?? Infinity));
  const socketsPer = split(sockets, threads);
  const windows = split(o.outstanding, sockets);
  const rates = o.rate === null ? null : split(o.rate, threads);
  let next = 0;
  return socketsPer.map((n, w) => {
    const plan: WorkerPlan = { socketWindows: windows.slice(next, next + n), rate: rates === null ? null : rates[w]!, firstSocket: next };
    next += n;
    return plan;
  });
}

/** One line saying how the totals were split, for -v and the report. */
export function describePlan(plans: readonly WorkerPlan[]): string {
  const sockets = plans.reduce((a, p) => a + p.socketWindows.length, 0);
  const window = plans.reduce((a, p) => a + p.socketWindows.reduce((x, y) => x + y, 0), 0);
  const parts = plans.map(
    (p, i) => `worker ${i}: ${p.socketWindows.length} socket(s), window ${p.socketWindows.join('+')}${p.rate === null ? '' : `, ${p.rate} qps`}`,
  );
  return `${plans.length} worker(s), ${sockets} socket(s), ${window} outstanding in total: ${parts.join('; ')}`;
}
