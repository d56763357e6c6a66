// Exports: run lists (CSV, JSON) and comparison reports (plain text, HTML).
export { RUN_CSV_COLUMNS, runsCsvHeader, runsCsvRows, runsJsonElements, runsToCsv, runsToJson } from './runs.ts';
export { buildComparisonReport, scenarioDifferences } from './report.ts';
export type { ComparisonReport, ReportDifference, ReportRun, ReportRunSet } from './report.ts';
export { comparisonToText, formatValue } from './text.ts';
export { comparisonToHtml, escapeHtml } from './html.ts';
