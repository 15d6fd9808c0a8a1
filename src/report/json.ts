// The JSON report: the source of truth. Pure: Report in, string out. Schema: docs/report-schema.md.
import type { Report } from '../results/report.js';

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
