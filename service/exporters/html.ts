// A comparison as one self-contained HTML file: inline CSS, charts drawn as
// inline SVG here, no scripts and no external resources (a Content Security
// Policy forbids loading any), so it can be mailed or attached to a bug and
// opened offline. Every piece of user text is escaped.
import type { Series } from '../../db/index.ts';
import { lttb } from '../../core/analysis/index.ts';
import type { MetricVerdict } from '../stats.ts';
import { changeLabel, methodSummary, significanceLabel, type ComparisonReport, type ReportRun } from './report.ts';
import { formatValue } from './text.ts';
import { metricNote } from './units.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

const BASE_COLOR = '#1f5fa8';
const HEAD_COLOR = '#c2410c';
const CHART = { width: 640, height: 220, left: 56, right: 12, top: 12, bottom: 28 };
const MAX_CHART_POINTS = 400;

const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
const fmtP = (p: number): string => (p < 0.0001 ? p.toExponential(1) : p.toPrecision(2));

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

/** One line per run of a series, base runs in blue and head runs in orange. */
function seriesChart(name: string, base: ReportRun[], head: ReportRun[]): string {
  const lines = [...base.map((r) => ({ r, color: BASE_COLOR })), ...head.map((r) => ({ r, color: HEAD_COLOR }))]
    .map(({ r, color }) => ({ run: r, color, s: r.series?.[name] }))
    .filter((l): l is { run: ReportRun; color: string; s: Series } => l.s !== undefined && l.s.t.length > 0)
    .map((l) => {
      const d = l.s.t.length > MAX_CHART_POINTS ? lttb(l.s.t, l.s.v, MAX_CHART_POINTS) : { x: l.s.t, y: l.s.v };
      return { ...l, x: d.x, y: d.y };
    });
  if (lines.length === 0) return '';
  const [x0, x1] = extent(lines.flatMap((l) => l.x));
  const [y0, y1] = extent(lines.flatMap((l) => l.y));
  const W = CHART.width - CHART.left - CHART.right;
  const H = CHART.height - CHART.top - CHART.bottom;
  const px = (x: number) => CHART.left + ((x - x0) / (x1 - x0)) * W;
  const py = (y: number) => CHART.top + (1 - (y - y0) / (y1 - y0)) * H;
  const paths = lines
    .map((l) => {
      const pts = l.x.map((x, i) => `${px(x).toFixed(1)},${py(l.y[i] as number).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${l.color}" stroke-width="1.5" stroke-opacity="0.8" points="${pts}"><title>${escapeHtml(l.run.name)}</title></polyline>`;
    })
    .join('');
  const axes =
    `<line x1="${CHART.left}" y1="${CHART.top + H}" x2="${CHART.left + W}" y2="${CHART.top + H}" class="axis"/>` +
    `<line x1="${CHART.left}" y1="${CHART.top}" x2="${CHART.left}" y2="${CHART.top + H}" class="axis"/>` +
    `<text x="${CHART.left - 4}" y="${CHART.top + 8}" text-anchor="end">${escapeHtml(formatValue(y1))}</text>` +
    `<text x="${CHART.left - 4}" y="${CHART.top + H}" text-anchor="end">${escapeHtml(formatValue(y0))}</text>` +
    `<text x="${CHART.left}" y="${CHART.height - 8}">${escapeHtml(num(x0))}</text>` +
    `<text x="${CHART.left + W}" y="${CHART.height - 8}" text-anchor="end">${escapeHtml(num(x1))}</text>`;
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="${escapeHtml(name)}">${axes}${paths}</svg><figcaption>${escapeHtml(name)}</figcaption></figure>`;
}

/** Every run's value of a metric as a dot, base row above head row, with each set's mean as a tick. */
function dotPlot(m: MetricVerdict, base: ReportRun[], head: ReportRun[]): string {
  const w = 240;
  const h = 44;
  const pad = 8;
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
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeHtml(m.metric)} per run">${row(base, 13, BASE_COLOR, m.a.mean)}${row(head, 31, HEAD_COLOR, m.b.mean)}</svg>`;
}

function metricRow(m: MetricVerdict, report: ComparisonReport): string {
  const sd = (s: { sd: number | null }) => (s.sd === null ? '' : ` ± ${escapeHtml(formatValue(s.sd))}`);
  const ratio = m.ratio ? `${m.ratio.estimate.toFixed(4)} [${m.ratio.lo.toFixed(4)}, ${m.ratio.hi.toFixed(4)}]` : 'n/a';
  const ci = (s: { ci95: [number, number] | null }) => (s.ci95 ? `<div class="ci">95% CI ${escapeHtml(formatValue(s.ci95[0]))} – ${escapeHtml(formatValue(s.ci95[1]))}</div>` : '');
  return (
    `<tr class="v-${m.verdict.replace(/[^a-z]+/g, '-').replace(/-$/, '')}" data-metric="${escapeHtml(m.metric)}">` +
    `<th scope="row">${escapeHtml(m.metric)}${m.family === 'primary' ? ' <span class="primary">primary</span>' : ''}<div class="dir">${escapeHtml(metricNote(m.metric))}</div></th>` +
    `<td class="num">${escapeHtml(formatValue(m.a.mean))}${sd(m.a)}${ci(m.a)}</td>` +
    `<td class="num">${escapeHtml(formatValue(m.b.mean))}${sd(m.b)}${ci(m.b)}</td>` +
    `<td class="num">${escapeHtml(formatValue(m.b.mean - m.a.mean))}</td>` +
    `<td class="num">${escapeHtml(changeLabel(m, formatValue))}</td>` +
    `<td class="num">${escapeHtml(ratio)}</td>` +
    `<td class="num">${m.test ? `${escapeHtml(fmtP(m.test.pValue))} / ` : ''}${escapeHtml(significanceLabel(m))}${m.secondOpinion ? `<div class="ci">${escapeHtml(m.secondOpinion.name)} p=${escapeHtml(fmtP(m.secondOpinion.pValue))}</div>` : ''}${m.minSignificantN !== null ? `<div class="ci">significant from n=${m.minSignificantN}</div>` : ''}</td>` +
    `<td class="verdict" title="${escapeHtml(m.reason)}">${escapeHtml(m.verdict)}</td>` +
    `<td>${dotPlot(m, report.base.runs, report.head.runs)}</td>` +
    '</tr>'
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
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1b1b;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.dir,.ci{font-size:11px;color:#666;font-weight:normal}
tr.v-better .verdict{color:#15803d;font-weight:600}tr.v-worse .verdict{color:#b91c1c;font-weight:600}
tr.v-changed .verdict,tr.v-inconclusive .verdict{color:#a16207}
.primary{font-size:11px;background:#e0e7ff;border-radius:3px;padding:0 4px}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px}
svg text{font-size:10px;fill:#555}svg .axis{stroke:#999}
figure{margin:12px 0}figcaption{font-size:12px;color:#444}
`;

export function comparisonToHtml(report: ComparisonReport): string {
  const c = report.comparison;
  const seriesNames = [...new Set([...report.base.runs, ...report.head.runs].flatMap((r) => Object.keys(r.series ?? {})))].sort();
  const charts = seriesNames.map((n) => seriesChart(n, report.base.runs, report.head.runs)).join('');
  const diffs = report.differences.length
    ? `<table><thead><tr><th>field</th><th>base</th><th>head</th></tr></thead><tbody>${report.differences
        .map((d) => `<tr><td><code>${escapeHtml(d.path)}</code></td><td><code>${escapeHtml(d.base.map((v) => JSON.stringify(v)).join(', '))}</code></td><td><code>${escapeHtml(d.head.map((v) => JSON.stringify(v)).join(', '))}</code></td></tr>`)
        .join('')}</tbody></table>`
    : '<p>The scenarios do not differ.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p><span class="swatch" style="background:${BASE_COLOR}"></span>base: ${escapeHtml(report.base.label)} (${report.base.runs.length} runs)
&nbsp; <span class="swatch" style="background:${HEAD_COLOR}"></span>head: ${escapeHtml(report.head.label)} (${report.head.runs.length} runs)</p>
<h2>Metrics</h2>
<p>${escapeHtml(methodSummary(c))} Ratio: head / base with a 95% bootstrap interval.</p>
<table>
<thead><tr><th>metric</th><th>base mean ± sd</th><th>head mean ± sd</th><th>delta</th><th>change</th><th>ratio [95% CI]</th><th>p / p or q</th><th>verdict</th><th>runs</th></tr></thead>
<tbody>${c.metrics.map((m) => metricRow(m, report)).join('')}</tbody>
</table>
${c.incomplete.length ? `<p>Not compared (missing in some runs): ${escapeHtml(c.incomplete.join(', '))}</p>` : ''}
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
