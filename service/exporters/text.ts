// A comparison as plain text, in the layout kernel developers know from the
// kernel test robot's reports on the mailing lists:
//
//       base  %stddev    %change       head  %stddev  metric
//      39.29 ±  0.4%     +29.7%      50.98 ±  0.3%  throughputGbps
//
// base and head are the means of the two run sets, %stddev the relative
// sample standard deviation, %change the change of the means. The table holds
// the primary metric and the metrics that changed; the others are named under
// it. Every metric's verdict and the exact scenario differences follow.
import type { JsonValue } from '../../db/index.ts';
import type { RunSetSummary } from '../stats.ts';
import { changeLabel, displayValue, methodSummary, reportRows, significanceLabel, type ComparisonReport, type ReportDifference } from './report.ts';
import { metricNote } from './units.ts';

/** Two decimals as the robot prints them; whole numbers from 100000 up; tiny values in exponent form. */
export function formatValue(x: number): string {
  const a = Math.abs(x);
  if (a === 0) return '0.00';
  if (a >= 1e5) return x.toFixed(0);
  if (a >= 0.01) return x.toFixed(2);
  return x.toExponential(2);
}

/** " ±  0.4%" (8 characters), or blanks when the spread is unknown (one run, or a mean of 0). */
function stddevCell(s: RunSetSummary): string {
  if (s.sd === null || s.mean === 0) return ' '.repeat(8);
  return ` ± ${((s.sd / Math.abs(s.mean)) * 100).toFixed(1).padStart(4)}%`;
}

function renderValues(values: (JsonValue | null)[]): string {
  const parts = values.map((v) => (v === null ? '(absent)' : JSON.stringify(v)));
  return parts.length === 1 ? (parts[0] as string) : `{${parts.join(', ')}}`;
}

function renderDifference(d: ReportDifference): string {
  return `  ${d.path}: ${renderValues(d.base)} -> ${renderValues(d.head)}`;
}

/** A metric's value as printed: shares in percent, as the units line says. */
const valueOf = (metric: string) => (x: number): string => formatValue(displayValue(metric, x));

export function comparisonToText(report: ComparisonReport): string {
  const { comparison: c } = report;
  const { shown, unchanged, constant } = reportRows(c);
  const rows = shown.map((m) => ({ m, base: valueOf(m.metric)(m.a.mean), head: valueOf(m.metric)(m.b.mean), change: changeLabel(m, valueOf(m.metric)) }));
  const width = Math.max(8, ...rows.flatMap((r) => [r.base.length, r.head.length]));
  // The robot's 11 columns, wider when an absolute change ("abs -140318") needs it, always one blank before it.
  const changeWidth = Math.max(11, ...rows.map((r) => r.change.length + 1));
  const line = (base: string, baseSd: string, change: string, head: string, headSd: string, name: string): string =>
    `${base.padStart(width)}${baseSd}${change.padStart(changeWidth)}   ${head.padStart(width)}${headSd}  ${name}`;

  const out: string[] = [];
  out.push(report.title, '');
  const shortIds = (ids: string[]) => ids.map((id) => id.slice(0, 8)).join(' ');
  out.push(`base: ${report.base.label} (${report.base.runs.length} run${report.base.runs.length === 1 ? '' : 's'}: ${shortIds(report.base.runs.map((r) => r.id))})`);
  out.push(`head: ${report.head.label} (${report.head.runs.length} run${report.head.runs.length === 1 ? '' : 's'}: ${shortIds(report.head.runs.map((r) => r.id))})`);
  out.push('');
  // The primary metric and the metrics that changed; the rest are named below the table, not printed as rows of zeros.
  out.push(line('base', '%stddev'.padStart(8), '%change', 'head', '%stddev'.padStart(8), 'metric').trimEnd());
  out.push(`${'-'.repeat(width + 8)} ${'-'.repeat(changeWidth - 1)}   ${'-'.repeat(width + 8)}`);
  for (const { m, base, head, change } of rows) out.push(line(base, stddevCell(m.a), change, head, stddevCell(m.b), m.metric));
  if (c.metrics.length === 0) out.push('  (no metric common to every run of both sets)');
  else if (rows.length === 0) out.push('  (no primary metric, and no metric changed)');
  const threshold = `${(c.threshold * 100).toFixed(1)}%`;
  if (unchanged.length) out.push('', ...wrap(`no change beyond ${threshold} that is significant (${unchanged.length}): ${unchanged.map((m) => m.metric).join(', ')}`, 76));
  if (constant.length) out.push('', ...wrap(`the same in every run (${constant.length}): ${constant.map((m) => m.metric).join(', ')}`, 76));
  if (rows.length) out.push('', 'units:', ...shown.map((m) => `  ${m.metric}: ${metricNote(m.metric)}`));

  out.push('');
  out.push('verdicts:', ...wrap(methodSummary(c), 76).map((l) => `  ${l}`));
  const listed = [...shown, ...unchanged, ...constant];
  const verdictWidth = Math.max(0, ...listed.map((m) => m.verdict.length));
  const nameWidth = Math.max(0, ...listed.map((m) => m.metric.length));
  for (const m of listed) {
    const extra = [m.family === 'primary' ? 'primary' : '', m.minSignificantN !== null && m.qValue !== null && m.qValue > c.alpha && m.verdict !== 'no change (constant)' ? `n>=${m.minSignificantN} needed` : ''].filter(Boolean);
    out.push(`  ${m.verdict.padEnd(verdictWidth)}  ${m.metric.padEnd(nameWidth)}  ${significanceLabel(m)}${extra.length ? `  (${extra.join(', ')})` : ''}`.trimEnd());
  }
  if (c.incomplete.length) out.push(`  not compared (missing in some runs): ${c.incomplete.join(', ')}`);
  if (report.warnings.length) {
    out.push('', 'warnings (what these runs cannot be trusted for):');
    for (const w of report.warnings) out.push(...wrap(`${w.side} (${w.runs} of ${w.of} runs) [${w.code}]: ${w.message}`, 74).map((l, i) => `${i === 0 ? '  ' : '    '}${l}`));
  }

  out.push('');
  if (report.differences.length === 0) out.push('scenario differences: none');
  else out.push('scenario differences (base -> head):', ...report.differences.map(renderDifference));
  return `${out.join('\n')}\n`;
}

/** Words into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
