// The HTML comparison report as `iommu-lab export compare --format html -o`
// writes it, rendered in Debian Chromium at 1280x800: no sideways scrolling,
// with the folded metrics opened too, and every chart within the page. Saves
// test-artifacts/report-html-1280.png to look at. Needs /usr/bin/chromium
// (not the built UI: the report is one self-contained file).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../contract/cli-run.ts';
import { CHROMIUM, launchChromium, OUT } from './browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-report-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function runIds(preset: string, journal: string): Promise<string[]> {
  const r = await runCli(['simulate', '--preset', preset, '--set', 'durationMs=40', '--set', 'warmupMs=5', '--seeds', '3', '--json', '--journal', journal]);
  assert.equal(r.code, 0, r.err);
  return (JSON.parse(r.out) as { results: { runId: string }[] }).results.map((x) => x.runId);
}

test('the seed report fits a 1280 px window: document width <= 1280 with every section open', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing` }, async () => {
  const journal = join(dir, 'j.sqlite');
  const file = join(dir, 'report.html');
  const base = await runIds('seed-before-fix', journal);
  const head = await runIds('seed-after-fix', journal);
  const r = await runCli(['export', 'compare', '--journal', journal, '--base', ...base, '--head', ...head, '--format', 'html', '-o', file]);
  assert.equal(r.code, 0, r.err);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pathToFileURL(file).href);
    // Page code as strings: this project's TypeScript has no DOM types outside renderer/.
    const width = 'document.documentElement.scrollWidth';
    const closed = (await page.evaluate(width)) as number;
    await page.evaluate("document.querySelectorAll('details').forEach((d) => d.setAttribute('open', ''))");
    const layout = (await page.evaluate(`({
      width: ${width},
      bodyWidth: document.body.getBoundingClientRect().width,
      widest: Math.max(...[...document.body.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right)),
      charts: [...document.querySelectorAll('figure.chart')].map((f) => ({ series: f.getAttribute('data-series'), legend: f.querySelectorAll('ul.legend li').length, right: f.querySelector(':scope > svg').getBoundingClientRect().right })),
      firstRow: document.querySelector('table.metrics tbody tr')?.getAttribute('data-metric'),
    })`)) as { width: number; bodyWidth: number; widest: number; charts: { series: string; legend: number; right: number }[]; firstRow: string };
    mkdirSync(OUT, { recursive: true });
    await page.evaluate("document.querySelectorAll('details').forEach((d) => d.removeAttribute('open'))");
    await page.screenshot({ path: join(OUT, 'report-html-1280.png'), fullPage: true });

    assert.ok(closed <= 1280, `document ${closed} px wide`);
    assert.ok(layout.width <= 1280, `document ${layout.width} px wide with every section open`);
    assert.ok(layout.widest <= 1280, `an element ends at ${layout.widest} px`);
    assert.ok(layout.bodyWidth <= 1200, `body ${layout.bodyWidth} px`);
    assert.equal(layout.firstRow, 'throughputGbps', 'the primary metric comes first');
    assert.deepEqual(layout.charts.map((c) => c.series), ['throughputGbps', 'flushQueueOccupancy', 'vmExitsPerSec']);
    for (const c of layout.charts) {
      assert.equal(c.legend, 2, `${c.series}: a legend for base and head`);
      assert.ok(c.right <= 1280, `${c.series} chart ends at ${c.right} px`);
    }
  } finally {
    await browser.close();
  }
});
