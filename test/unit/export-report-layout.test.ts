// How the comparison reports read: the mailing-list table holds the primary
// metric and the metrics that changed (not rows of zeros), names the others
// under it, and shows shares in percent; the HTML puts the primary metric
// first, folds the unchanged metrics, stays within a page width, and gives
// every series chart axis units, tick labels and a legend.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildComparisonReport, comparisonToHtml, comparisonToText, type ReportRun } from '../../service/exporters/index.ts';
import { niceTicks, PAGE_MAX_WIDTH_PX } from '../../service/exporters/html.ts';
import { reportRows } from '../../service/exporters/report.ts';

const seeds = [1, 2, 3, 4, 5, 6];
const series = (base: number) => ({ throughputGbps: { t: [0, 10, 20, 30, 40], v: [base, base + 1, base, base + 1, base] }, flushQueueOccupancy: { t: [0, 10, 20, 30, 40], v: [0, 100, 255, 40, 0] } });
function run(side: string, seed: number, kind: string, metrics: Record<string, number>): ReportRun {
  return { id: `${side}-${seed}`.padEnd(12, '0'), name: `${side} seed=${seed}`, kind, seed, metrics, scenario: { policy: side, seed }, series: series(metrics.throughputGbps ?? 0) };
}
// Strict -> lazy: throughput, exits and flushes change; CPU stays within 2%; 20 breakdown counters are zero throughout.
const zeros = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`vmExitsPerSec.reason-${String.fromCharCode(97 + i)}`, 0]));
const metricsOf = (lazy: boolean, s: number) => ({
  throughputGbps: (lazy ? 51 : 39.3) + s / 100,
  vmExitsPerSec: lazy ? 200 + s : 140000 + 37 * s,
  flushesPerSec: lazy ? 200 + s : 0,
  cpuUtilization: 0.99 + (s % 2) / 1000,
  ...zeros,
});
const base = { label: 'strict', runs: seeds.map((s) => run('strict', s, 'simulated', metricsOf(false, s))) };
const head = { label: 'lazy', runs: seeds.map((s) => run('lazy', s, 'simulated', metricsOf(true, s))) };
const report = buildComparisonReport(base, head, { primary: 'throughputGbps' });

/** The rows of the text table: from the dashed line to the first blank line. */
function tableRows(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^-+ -+ +-+$/.test(l));
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end);
}

describe('the mailing-list table', () => {
  const text = comparisonToText(report);

  test('holds the primary metric first, then only the metrics that changed', () => {
    const rows = tableRows(text);
    assert.deepEqual(rows.map((r) => r.trim().split(/\s+/).at(-1)), ['throughputGbps', 'vmExitsPerSec', 'flushesPerSec'], text);
    // Means of 39.31..39.36 and 51.01..51.06: the robot's columns.
    assert.match(rows[0]!, /^ +39\.34 ± +0\.0% +\+29\.7% +51\.03 ± +0\.0% {2}throughputGbps$/);
    assert.ok(!rows.some((r) => r.includes('reason-')), 'no row for a counter that is 0 in every run');
  });

  test('names the unchanged and the constant metrics under the table, and their verdicts stay listed', () => {
    assert.match(text, /\nno change beyond 2\.0% that is significant \(1\): cpuUtilization\n/);
    assert.match(text, /\nthe same in every run \(20\): vmExitsPerSec\.reason-a, /);
    assert.match(text, /^ {2}no change \(constant\) +vmExitsPerSec\.reason-t +not tested$/m);
    assert.match(text, /^ {2}no change +cpuUtilization +q=/m);
  });

  test('units are given for the rows shown; shares are printed in percent, as their unit says', () => {
    const units = text.slice(text.indexOf('\nunits:\n'), text.indexOf('\nverdicts:'));
    assert.deepEqual([...units.matchAll(/^ {2}(\S+): /gm)].map((m) => m[1]), ['throughputGbps', 'vmExitsPerSec', 'flushesPerSec']);
    const cpu = comparisonToText(buildComparisonReport(base, head, { primary: 'cpuUtilization' }));
    assert.match(tableRows(cpu)[0]!, /^ +99\.05 ± +0\.\d%.* 99\.05 ± +0\.\d% {2}cpuUtilization$/, cpu);
  });

  test('a comparison of one run a side shows the changes no test could settle, beyond the threshold', () => {
    const one = buildComparisonReport({ label: 'strict', runs: base.runs.slice(0, 1) }, { label: 'lazy', runs: head.runs.slice(0, 1) });
    assert.deepEqual(tableRows(comparisonToText(one)).map((r) => r.trim().split(/\s+/).at(-1)), ['throughputGbps', 'vmExitsPerSec', 'flushesPerSec']);
  });
});

describe('the HTML report', () => {
  const html = comparisonToHtml(report);
  const mainTable = html.slice(html.indexOf('<table class="metrics">'), html.indexOf('</table>'));

  test('the primary metric is the first row, and a headline sentence states it', () => {
    assert.deepEqual([...mainTable.matchAll(/data-metric="([^"]+)"/g)].map((m) => m[1]), ['throughputGbps', 'vmExitsPerSec', 'flushesPerSec']);
    assert.match(html, /<p class="headline"><b>Throughput<\/b> \(primary\): 39\.3 Gbit\/s → 51 Gbit\/s, \+29\.7%, <span class="verdict">better<\/span> \(p=\S+\)<\/p>/);
    assert.ok(html.indexOf('class="headline"') < html.indexOf('<table class="metrics">'));
  });

  test('the other metrics are folded under the table, every one with its verdict', () => {
    const folded = html.slice(html.indexOf('<details class="more">'), html.indexOf('</details>', html.indexOf('<details class="more">')));
    assert.match(folded, /<summary>21 more metrics: 1 without a significant change beyond 2\.0%, 20 the same in every run<\/summary>/);
    assert.equal((folded.match(/data-metric=/g) ?? []).length, 21);
    assert.match(folded, /data-metric="cpuUtilization">.*?<td class="verdict"[^>]*>no change<\/td>/);
  });

  test('a page width limit, wrapping cells and charts that scale down', () => {
    assert.equal(PAGE_MAX_WIDTH_PX, 1200);
    assert.match(html, /body\{[^}]*max-width:1200px/);
    assert.match(html, /figure\.chart>svg\{max-width:100%;height:auto/);
  });

  test('every series chart has a caption with units, a legend, axis units and tick labels on both axes', () => {
    const figures = [...html.matchAll(/<figure class="chart" data-series="([^"]+)">(.*?)<\/figure>/gs)];
    assert.deepEqual(figures.map((f) => f[1]), ['throughputGbps', 'flushQueueOccupancy'], 'the primary metric\'s series first');
    for (const [, name, body] of figures) {
      assert.match(body!, /<ul class="legend"><li>.*base: strict \(6 runs\)<\/li><li>.*head: lazy \(6 runs\)<\/li><\/ul>/, name);
      assert.match(body!, /<text class="unit x-unit"[^>]*>time \(ms\)<\/text>/, name);
      const ticks = [...body!.matchAll(/<text class="tick"[^>]*text-anchor="(end|middle)">([^<]+)<\/text>/g)];
      assert.ok(ticks.filter((t) => t[1] === 'end').length >= 3, `${name}: y tick labels`);
      assert.ok(ticks.filter((t) => t[1] === 'middle').length >= 3, `${name}: x tick labels`);
      assert.equal((body!.match(/<polyline /g) ?? []).length, 12, `${name}: a line per run`);
    }
    assert.match(figures[0]![2]!, /<figcaption>Throughput \(Gbit\/s\) over time \(ms\)<\/figcaption>/);
    assert.match(figures[0]![2]!, /<text class="unit y-unit"[^>]*>Gbit\/s<\/text>/);
    assert.match(figures[1]![2]!, /<text class="unit y-unit"[^>]*>entries<\/text>/);
    // Tick labels of throughput: round values from 0 past the largest.
    assert.deepEqual([...figures[0]![2]!.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]), ['0', '20', '40', '60']);
  });

  test('measured runs chart their own clock: iperf3 intervals are seconds', () => {
    const measured = (r: ReportRun): ReportRun => ({ ...r, kind: 'measured' });
    const m = comparisonToHtml(buildComparisonReport({ ...base, runs: base.runs.map(measured) }, { ...head, runs: head.runs.map(measured) }));
    assert.match(m, /<figcaption>Throughput \(Gbit\/s\) over time \(s\)<\/figcaption>/);
    assert.match(m, />time \(s\)<\/text>/);
  });
});

describe('reportRows and niceTicks', () => {
  test('reportRows puts the primary metric first, then the changes in catalog order', () => {
    const rows = reportRows(report.comparison);
    assert.deepEqual(rows.shown.map((m) => m.metric), ['throughputGbps', 'vmExitsPerSec', 'flushesPerSec']);
    assert.deepEqual(rows.unchanged.map((m) => m.metric), ['cpuUtilization']);
    assert.equal(rows.constant.length, 20);
  });

  test('niceTicks covers the range with round steps', () => {
    assert.deepEqual(niceTicks(0, 51.3, 5), [0, 20, 40, 60]);
    assert.deepEqual(niceTicks(0, 50, 8), [0, 10, 20, 30, 40, 50]);
    assert.deepEqual(niceTicks(0.1, 0.35, 5), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
    assert.deepEqual(niceTicks(139000, 141500, 5), [139000, 139500, 140000, 140500, 141000, 141500]);
    assert.deepEqual(niceTicks(-3, 7, 5), [-4, -2, 0, 2, 4, 6, 8]);
    assert.deepEqual(niceTicks(5, 5), [5, 5], 'no endless loop on an empty range');
  });
});
