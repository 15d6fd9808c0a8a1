// Load a saved JSON report (written by --json or `dnsbench merge`), checking that it is one: bounded
// read, bounded shape, the JSON Schema and the histograms (src/results/validate.ts). Throws
// InputError (exit 2) naming the file and, for a bad field, its JSON pointer.
import { InputError } from '../errors.js';
import { SCHEMA_VERSION, type Report } from './report.js';
import { zeroCounters } from './counters.js';
import { withTargets } from './build.js';
import { sanitizeOps } from './ops-load.js';
import { checkJsonShape, readReportBytes, validateReportData } from './validate.js';

export function loadReport(file: string): Report {
  const bytes = readReportBytes(file);
  checkJsonShape(file, bytes);
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message})`);
  }
  return reportFromJson(data, file);
}

/**
 * Parsed JSON -> Report, checking that it is a dnsbench report of a schema version this build
 * reads, and then field by field (validateReportData); `file` (a file name, or a report found on
 * stdin) names it in errors. Throws InputError.
 */
export function reportFromJson(data: unknown, file: string): Report {
  // The two questions users most often get wrong, answered before the field-by-field check.
  const r = data as Partial<Report> | null;
  if (r === null || typeof r !== 'object' || Array.isArray(r) || r.tool?.name !== 'dnsbench') {
    throw new InputError(`${file}: not a dnsbench report (expected the JSON written by --json)`);
  }
  if (r.schemaVersion !== SCHEMA_VERSION) {
    throw new InputError(`${file}: report schema version ${String(r.schemaVersion)} is not supported (this dnsbench reads version ${SCHEMA_VERSION})`);
  }
  validateReportData(file, data);
  const report = data as Report;
  // Counters added since the report was written (e.g. the transport ones) read as 0.
  for (const t of report.targets) {
    t.counters = { ...zeroCounters(), ...t.counters };
    for (const iv of t.intervals) iv.counters = { ...zeroCounters(), ...iv.counters };
  }
  // The comparison is derived: rebuilt here, so a stale or missing one is never rendered.
  // The operations sections: events and serials checked, the timeline and verdicts recomputed.
  const checked = sanitizeOps(report);
  return withTargets(checked, checked.targets);
}
