// The reports print a change from or to zero as an absolute difference with
// its verdict, never as a percentage, and keep constant metrics out of the
// tested families: the mailing-list text, the HTML and the JSON say the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildComparisonReport, comparisonToHtml, comparisonToText, type ReportRun } from '../../service/exporters/index.ts';

const seeds = [1, 2, 3, 4, 5, 6];
const run = (side: string, seed: number, metrics: Record<string, number>): ReportRun => ({ id: `${side}${seed}`.padEnd(8, '0'), name: `${side} seed=${seed}`, seed, metrics, scenario: { policy: side, seed } });
const base = seeds.map((s) => run('strict', s, { throughputGbps: 39.3 + s / 100, flushesPerSec: 0, 'vmExitsPerSec.pasid-unmap': 140000 + s * 37, 'vmExitsPerSec.dsi-flush': 0 }));
const head = seeds.map((s) => run('lazy', s, { throughputGbps: 51 + s / 90, flushesPerSec: 211 + s, 'vmExitsPerSec.pasid-unmap': 0, 'vmExitsPerSec.dsi-flush': 0 }));
const report = buildComparisonReport({ label: 'strict', runs: base }, { label: 'lazy', runs: head });
const by = Object.fromEntries(report.comparison.metrics.map((m) => [m.metric, m]));

test('from zero and to zero: absolute changes with verdicts; all zero: constant', () => {
  assert.equal(by.flushesPerSec?.changeKind, 'from-zero');
  assert.equal(by.flushesPerSec?.verdict, 'worse');
  assert.equal(by['vmExitsPerSec.pasid-unmap']?.changeKind, 'to-zero');
  assert.equal(by['vmExitsPerSec.pasid-unmap']?.changePct, null);
  assert.equal(by['vmExitsPerSec.pasid-unmap']?.verdict, 'better');
  assert.equal(by['vmExitsPerSec.dsi-flush']?.verdict, 'no change (constant)');
  assert.equal(by['vmExitsPerSec.pasid-unmap']?.familySize, 1, 'the constant breakdown is not in the family');
});

test('the text table prints "abs" changes in a column wide enough, and the verdicts with p or q', () => {
  const text = comparisonToText(report);
  const lines = text.split('\n');
  const row = lines.find((l) => l.endsWith('vmExitsPerSec.pasid-unmap') && l.includes('abs'));
  assert.ok(row, text);
  assert.match(row, /% +abs -140130 +0\.00 +vmExitsPerSec\.pasid-unmap$/);
  assert.doesNotMatch(text, /-100\.0%/);
  assert.match(text, /^ {2}worse +flushesPerSec +q=/m);
  assert.match(text, /^ {2}no change \(constant\) +vmExitsPerSec\.dsi-flush +not tested$/m);
  assert.match(text, /^ {2}better +throughputGbps +p=\S+ {2}\(primary\)$/m);
});

test('the HTML report shows the same verdicts and the absolute change', () => {
  const html = comparisonToHtml(report);
  for (const m of report.comparison.metrics) assert.match(html, new RegExp(`data-metric="${m.metric.replace('.', '\\.')}">.*?<td class="verdict"[^>]*>${m.verdict.replace(/[()]/g, '\\$&')}</td>`));
  assert.match(html, /abs \+214/);
});
