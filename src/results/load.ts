// Load a saved JSON report (written by --json or `dnsbench merge`), checking that it is one.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { SCHEMA_VERSION, type Report } from './report.js';
import { zeroCounters } from './counters.js';
import { withTargets } from './build.js';
import { sanitizeOps } from './ops-load.js';

export function loadReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read report "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message})`);
  }
  return reportFromJson(data, file);
}

/**
 * Parsed JSON -> Report, checking that it is a dnsbench report of a schema version this build
 * reads; `file` (a file name, or a report found on stdin) names it in errors. Throws InputError.
 */
export function reportFromJson(data: unknown, file: string): Report {
  const r = data as Partial<Report> | null;
  if (r === null || typeof r !== 'object' || r.tool?.name !== 'dnsbench' || !Array.isArray(r.targets) || r.targets.some((t) => t === null || typeof t !== 'object')) {
    throw new InputError(`${file}: not a dnsbench report (expected the JSON written by --json)`);
  }
  if (r.schemaVersion !== SCHEMA_VERSION) {
    throw new InputError(`${file}: report schema version ${String(r.schemaVersion)} is not supported (this dnsbench reads version ${SCHEMA_VERSION})`);
  }
  // Counters added since the report was written (e.g. the transport ones) read as 0.
  for (const t of r.targets) {
    t.counters = { ...zeroCounters(), ...t.counters };
    for (const iv of t.intervals ?? []) iv.counters = { ...zeroCounters(), ...iv.counters };
  }
  // The comparison is derived: rebuilt here, so a stale or missing one is never rendered.
  const checked = sanitizeOps(r as Report);
  return withTargets(checked, checked.targets);
}
