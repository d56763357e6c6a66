// A comparison as one self-contained HTML file: inline CSS, charts drawn as
// inline SVG here, no scripts and no external resources (a Content Security
// Policy forbids loading any), so it can be mailed or attached to a bug and
// opened offline. Every piece of user text is escaped. It reads on a 1280 px
// screen without sideways scrolling: the page is at most 1200 px wide, the
// table's cells wrap, and the charts scale down with the page.
import type { Series } from '../../db/index.ts';
import { lttb } from '../../core/analysis/index.ts';
import { formatMetricValue, formatNumber, metricSpec } from '../protocol/metrics.ts';
import type { MetricVerdict } from '../stats.ts';
import { seriesTimeUnit } from '../protocol/constants.ts';
import { changeLabel, displayValue, methodSummary, reportRows, significanceLabel, type ComparisonReport, type ReportRun } from './report.ts';
import { formatValue } from './text.ts';
import { metricNote } from './units.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

/** The page's width limit: below a 1280 px window with its scroll bar and margins. */
export const PAGE_MAX_WIDTH_PX = 1200;
const BASE_COLOR = '#1f5fa8';
const HEAD_COLOR = '#c2410c';
const CHART = { width: 1000, height: 280, left: 64, right: 16, top: 24, bottom: 48 };
const DOT_PLOT = { width: 150, height: 40, pad: 7 };
const MAX_CHART_POINTS = 400;

const fmtP = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));
/** A metric's value as the table prints it: the text report's digits, shares in percent. */
const valueText = (metric: string) => (x: number): string => formatValue(displayValue(metric, x));

function extent(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0 && Number.isFinite(raw))) return [lo, hi]; // an empty or endless range has no round steps
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's digits so that 0.1 + 0.2 prints as 0.3.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let t = first; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toFixed(digits)));
  if ((ticks.at(-1) ?? -Infinity) < hi) ticks.push(Number(((ticks.at(-1) ?? first) + step).toFixed(digits)));
  return ticks;
}

interface ChartLine {
  run: ReportRun;
  color: string;
  x: number[];
  y: number[];
}

/** The legend of a chart or of the page: a swatch per run set, with its label and run count. */
function legend(report: ComparisonReport): string {
  const item = (side: string, color: string, label: string, runs: number) =>
    `<li><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="${color}" stroke-width="3"/></svg>${side}: ${escapeHtml(label)} (${runs} run${runs === 1 ? '' : 's'})</li>`;
  return `<ul class="legend">${item('base', BASE_COLOR, report.base.label, report.base.runs.length)}${item('head', HEAD_COLOR, report.head.label, report.head.runs.length)}</ul>`;
}

/**
 * One line per run of a series, base runs in blue and head runs in orange,
 * on round ticks with their labels; the y axis says the metric's unit, the x
 * axis the time unit of the runs' clock; a legend names the two run sets.
 */
function seriesChart(name: string, report: ComparisonReport): string {
  const lines: ChartLine[] = [...report.base.runs.map((r) => ({ r, color: BASE_COLOR })), ...report.head.runs.map((r) => ({ r, color: HEAD_COLOR }))]
    .map(({ r, color }) => ({ run: r, color, s: r.series?.[name] }))
    .filter((l): l is { run: ReportRun; color: string; s: Series } => l.s !== undefined && l.s.t.length > 0)
    .map((l) => {
      const d = l.s.t.length > MAX_CHART_POINTS ? lttb(l.s.t, l.s.v, MAX_CHART_POINTS) : { x: l.s.t, y: l.s.v };
      return { run: l.run, color: l.color, x: d.x, y: d.y.map((v) => displayValue(name, v)) };
    });
  if (lines.length === 0) return '';
  const spec = metricSpec(name);
  const units = [...new Set(lines.map((l) => seriesTimeUnit(l.run.kind)))];
  const timeUnit = units.length === 1 ? units[0] : units.join(' or ');
  const [x0, x1] = extent(lines.flatMap((l) => l.x));
  const [ylo, yhi] = extent(lines.flatMap((l) => l.y));
  // Counts and rates start at zero, so the height of a line is its size; a series with negative values keeps its range.
  const xTicks = niceTicks(x0, x1, 8);
  const yTicks = niceTicks(ylo >= 0 ? 0 : ylo, yhi, 5);
  const [xa, xb] = [Math.min(x0, xTicks[0] as number), Math.max(x1, xTicks.at(-1) as number)];
  const [ya, yb] = [yTicks[0] as number, yTicks.at(-1) as number];
  const W = CHART.width - CHART.left - CHART.right;
  const H = CHART.height - CHART.top - CHART.bottom;
  const px = (x: number) => CHART.left + ((x - xa) / (xb - xa)) * W;
  const py = (y: number) => CHART.top + (1 - (y - ya) / (yb - ya)) * H;
  const paths = lines
    .map((l) => {
      const pts = l.x.map((x, i) => `${px(x).toFixed(1)},${py(l.y[i] as number).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${l.color}" stroke-width="1.5" stroke-opacity="0.8" points="${pts}"><title>${escapeHtml(l.run.name)}</title></polyline>`;
    })
    .join('');
  const bottom = CHART.top + H;
  // "Gbit/s", "entries"; a per-second count names what it counts ("VM exits/s").
  const yUnit = spec.unit.startsWith('/') ? `${spec.label}${spec.unit}` : spec.unit || spec.label;
  const grid =
    yTicks.map((t) => `<line class="grid" x1="${CHART.left}" x2="${CHART.left + W}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}"/><text class="tick" x="${CHART.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(formatNumber(t))}</text>`).join('') +
    xTicks
      .filter((t) => t >= xa && t <= xb)
      .map((t) => `<line class="axis" x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${bottom}" y2="${bottom + 5}"/><text class="tick" x="${px(t).toFixed(1)}" y="${bottom + 18}" text-anchor="middle">${escapeHtml(formatNumber(t))}</text>`)
      .join('');
  const axes =
    `<line class="axis" x1="${CHART.left}" y1="${bottom}" x2="${CHART.left + W}" y2="${bottom}"/>` +
    `<line class="axis" x1="${CHART.left}" y1="${CHART.top}" x2="${CHART.left}" y2="${bottom}"/>` +
    `<text class="unit y-unit" x="${CHART.left}" y="${CHART.top - 10}" text-anchor="middle">${escapeHtml(yUnit)}</text>` +
    `<text class="unit x-unit" x="${CHART.left + W / 2}" y="${CHART.height - 6}" text-anchor="middle">time (${escapeHtml(timeUnit ?? 'ms')})</text>`;
  const title = `${spec.label}${spec.unit ? ` (${spec.unit})` : ''} over time (${timeUnit})`;
  return (
    `<figure class="chart" data-series="${escapeHtml(name)}"><figcaption>${escapeHtml(title)}</figcaption>${legend(report)}` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" role="img" aria-label="${escapeHtml(title)}">${grid}${axes}${paths}</svg></figure>`
  );
}

/** Every run's value of a metric as a dot, base row above head row, with each set's mean as a tick. */
function dotPlot(m: MetricVerdict, base: ReportRun[], head: ReportRun[]): string {
  const { width: w, height: h, pad } = DOT_PLOT;
  const values = [...base, ...head].map((r) => r.metrics[m.metric]).filter((v): v is number => v !== undefined);
  if (values.length === 0) return '';
  const [lo, hi] = extent(values);
  const px = (v: number) => pad + ((v - lo) / (hi - lo)) * (w - 2 * pad);
  const row = (runs: ReportRun[], y: number, color: string, mean: number) =>
    runs
      .map((r) => r.metrics[m.metric])
      .filter((v): v is number => v !== undefined)
      .map((v) => `<circle cx="${px(v).toFixed(1)}" cy="${y}" r="3" fill="${color}" fill-opacity="0.7"/>`)
      .join('') + `<line x1="${px(mean).toFixed(1)}" x2="${px(mean).toFixed(1)}" y1="${y - 7}" y2="${y + 7}" stroke="${color}" stroke-width="2"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(m.metric)} per run">${row(base, 12, BASE_COLOR, m.a.mean)}${row(head, 29, HEAD_COLOR, m.b.mean)}</svg>`;
}

function metricRow(m: MetricVerdict, report: ComparisonReport): string {
  const v = valueText(m.metric);
  const sd = (s: { sd: number | null }) => (s.sd === null ? '' : ` ± ${escapeHtml(v(s.sd))}`);
  const ci = (s: { ci95: [number, number] | null }) => (s.ci95 ? `<div class="ci">95% CI ${escapeHtml(v(s.ci95[0]))} – ${escapeHtml(v(s.ci95[1]))}</div>` : '');
  const ratio = m.ratio ? `${m.ratio.estimate.toFixed(4)}<div class="ci">[${m.ratio.lo.toFixed(4)}, ${m.ratio.hi.toFixed(4)}]</div>` : 'n/a';
  return (
    `<tr class="v-${m.verdict.replace(/[^a-z]+/g, '-').replace(/-$/, '')}" data-metric="${escapeHtml(m.metric)}">` +
    `<th scope="row">${escapeHtml(m.metric)}${m.family === 'primary' ? ' <span class="primary">primary</span>' : ''}<div class="dir">${escapeHtml(metricNote(m.metric))}</div></th>` +
    `<td class="num"><span class="v">${escapeHtml(v(m.a.mean))}${sd(m.a)}</span>${ci(m.a)}</td>` +
    `<td class="num"><span class="v">${escapeHtml(v(m.b.mean))}${sd(m.b)}</span>${ci(m.b)}</td>` +
    `<td class="num"><span class="v">${escapeHtml(changeLabel(m, v))}</span><div class="ci">${escapeHtml(v(m.b.mean - m.a.mean))}</div></td>` +
    `<td class="num">${ratio}</td>` +
    `<td class="num">${m.test ? `${escapeHtml(fmtP(m.test.pValue))} / ` : ''}${escapeHtml(significanceLabel(m))}${m.secondOpinion ? `<div class="ci">${escapeHtml(m.secondOpinion.name)} p=${escapeHtml(fmtP(m.secondOpinion.pValue))}</div>` : ''}${m.minSignificantN !== null ? `<div class="ci">significant from n=${m.minSignificantN}</div>` : ''}</td>` +
    `<td class="verdict" title="${escapeHtml(m.reason)}">${escapeHtml(m.verdict)}</td>` +
    `<td class="runs">${dotPlot(m, report.base.runs, report.head.runs)}</td>` +
    '</tr>'
  );
}

function metricTable(rows: MetricVerdict[], report: ComparisonReport): string {
  return (
    '<table class="metrics">' +
    '<thead><tr><th>metric</th><th>base mean ± sd</th><th>head mean ± sd</th><th>change<div class="ci">delta</div></th><th>ratio<div class="ci">[95% CI]</div></th><th>p / p or q</th><th>verdict</th><th>runs</th></tr></thead>' +
    `<tbody>${rows.map((m) => metricRow(m, report)).join('')}</tbody></table>`
  );
}

/** One sentence on the primary metric: from what to what, and the verdict. */
function headline(report: ComparisonReport): string {
  const p = report.comparison.metrics.find((m) => m.family === 'primary');
  if (!p) return '<p class="headline">No primary metric: no compared metric has a direction.</p>';
  const unit = metricSpec(p.metric).unit;
  const value = (x: number) => `${formatMetricValue(p.metric, x)}${unit ? ` ${unit}` : ''}`;
  return (
    `<p class="headline"><b>${escapeHtml(metricSpec(p.metric).label)}</b> (primary): ${escapeHtml(value(p.a.mean))} → ${escapeHtml(value(p.b.mean))}, ` +
    `${escapeHtml(changeLabel(p, valueText(p.metric)))}, <span class="verdict">${escapeHtml(p.verdict)}</span> (${escapeHtml(significanceLabel(p))})</p>`
  );
}

function runSection(label: string, color: string, runs: ReportRun[]): string {
  const items = runs
    .map(
      (r) =>
        `<details><summary><span class="swatch" style="background:${color}"></span>${escapeHtml(r.name)} <code>${escapeHtml(r.id)}</code> seed ${escapeHtml(String(r.seed))}</summary>` +
        `<pre>${escapeHtml(JSON.stringify(r.scenario, null, 2))}</pre></details>`,
    )
    .join('');
  return `<section><h3>${escapeHtml(label)}</h3>${items}</section>`;
}

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;padding:0 16px;color:#1b1b1b;max-width:${PAGE_MAX_WIDTH_PX}px;overflow-wrap:break-word}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px}
.headline{font-size:15px}.method{font-size:12px;color:#444}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
table.metrics{font-size:13px}table.metrics th[scope=row]{overflow-wrap:anywhere;max-width:220px}
td.num{text-align:right;font-variant-numeric:tabular-nums}.v{white-space:nowrap}
td.runs{width:${DOT_PLOT.width + 12}px}
.dir,.ci{font-size:11px;color:#666;font-weight:normal}
tr.v-better .verdict,.headline .verdict{font-weight:600}tr.v-better .verdict{color:#15803d}tr.v-worse .verdict{color:#b91c1c;font-weight:600}
tr.v-changed .verdict,tr.v-inconclusive .verdict{color:#a16207}
.primary{font-size:11px;background:#e0e7ff;border-radius:3px;padding:0 4px}
details.more{margin-top:12px}details.more>summary{cursor:pointer;color:#333}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}
code{overflow-wrap:anywhere}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px}
ul.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12px}ul.legend svg{vertical-align:middle;margin-right:6px}
figure.chart{margin:16px 0 24px}figure.chart>svg{max-width:100%;height:auto;display:block}
figcaption{font-weight:600;font-size:13px}
svg text{font-size:12px;fill:#444}svg text.unit{font-size:12px;fill:#222}svg .axis{stroke:#888}svg .grid{stroke:#e5e5e5}
`;

export function comparisonToHtml(report: ComparisonReport): string {
  const c = report.comparison;
  const { shown, unchanged, constant } = reportRows(c);
  const rest = [...unchanged, ...constant];
  const seriesNames = [...new Set([...report.base.runs, ...report.head.runs].flatMap((r) => Object.keys(r.series ?? {})))].sort();
  // The primary metric's own series first, as in the table.
  if (c.primary && seriesNames.includes(c.primary)) seriesNames.splice(0, 0, ...seriesNames.splice(seriesNames.indexOf(c.primary), 1));
  const charts = seriesNames.map((n) => seriesChart(n, report)).join('');
  const diffs = report.differences.length
    ? `<table><thead><tr><th>field</th><th>base</th><th>head</th></tr></thead><tbody>${report.differences
        .map((d) => `<tr><td><code>${escapeHtml(d.path)}</code></td><td><code>${escapeHtml(d.base.map((v) => JSON.stringify(v)).join(', '))}</code></td><td><code>${escapeHtml(d.head.map((v) => JSON.stringify(v)).join(', '))}</code></td></tr>`)
        .join('')}</tbody></table>`
    : '<p>The scenarios do not differ.</p>';
  const threshold = `${(c.threshold * 100).toFixed(1)}%`;
  const more = rest.length
    ? `<details class="more"><summary>${rest.length} more metric${rest.length === 1 ? '' : 's'}: ${unchanged.length} without a significant change beyond ${threshold}, ${constant.length} the same in every run</summary>${metricTable(rest, report)}</details>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
${legend(report)}
${headline(report)}
<h2>Metrics</h2>
<p>The primary metric first, then the metrics that changed${rest.length ? '; the others are folded below the table' : ''}.</p>
<p class="method">Method: ${escapeHtml(methodSummary(c))} Ratio: head / base with a 95% bootstrap interval.</p>
${shown.length ? metricTable(shown, report) : '<p>No primary metric, and no metric changed.</p>'}
${more}
${c.incomplete.length ? `<p>Not compared (missing in some runs): ${escapeHtml(c.incomplete.join(', '))}</p>` : ''}
${report.warnings.length ? `<h2>Warnings</h2><p>What these runs cannot be trusted for:</p><ul class="warnings">${report.warnings.map((w) => `<li><b>${escapeHtml(w.side)}</b> (${w.runs} of ${w.of} runs) <code>${escapeHtml(w.code)}</code>: ${escapeHtml(w.message)}</li>`).join('')}</ul>` : ''}
<h2>Scenario differences</h2>
${diffs}
${charts ? `<h2>Series</h2>${charts}` : ''}
<h2>Scenarios of every run</h2>
${runSection(`base: ${report.base.label}`, BASE_COLOR, report.base.runs)}
${runSection(`head: ${report.head.label}`, HEAD_COLOR, report.head.runs)}
</body>
</html>
`;
}
