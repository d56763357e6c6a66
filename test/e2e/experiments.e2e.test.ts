// Sweeps and histories in the UI, in Debian Chromium against `iommu-lab serve`:
// an experiment of backend x policy x flushQueue.size x 6 seeds shows its
// per-point table and the metric-vs-size chart; the journal shows scenario
// columns and filters on them; a history of 20 iperf3 imports is ordered by
// commit with a marker before the step. Needs a built renderer and
// /usr/bin/chromium; saves screenshots to test-artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { missing, openLabSession, OUT, type LabSession } from './browser.ts';
import { iperf3HistoryRun } from '../fixtures/iperf3-history.ts';

/** The sweep, and a commit-ordered history of 20 imports with a step at commit 11 and a marker before it. */
async function seed(journal: string): Promise<void> {
  const lab = Lab.open({ journalPath: journal, workers: 2 });
  try {
    const sweep = await lab.call('sweeps.start', {
      spec: {
        name: 'fq-size',
        base: { preset: 'seed-after-fix', overrides: ['durationMs=40'] },
        grid: { 'viommu.backend': ['nested-fl', 'shadow-sl'], policy: ['strict', 'lazy'], 'flushQueue.size': [64, 256] },
        seeds: 6,
      },
    });
    const ended = await lab.call('runs.wait', { ids: sweep.runIds });
    assert.equal(ended.filter((r) => r.status === 'done').length, 48);

    await lab.call('benchmarks.create', { name: 'rx', metric: 'receivedGbps', higherIsBetter: true, orderBy: 'context:commit' });
    let step = '';
    for (let i = 1; i <= 20; i++) {
      const r = await lab.call('measurements.import', { tool: 'iperf3', text: iperf3HistoryRun(i), benchmark: 'rx', context: { commit: `v6.8-${i}-g${i.toString(16).padStart(4, '0')}` } });
      if (i === 11) step = r.point.id;
    }
    await lab.call('benchmarks.mark', { benchmark: 'rx', label: 'vhost rework', before: step });
  } finally {
    await lab.close();
  }
}

describe('UI end to end: experiments and ordered histories', { skip: missing, timeout: 300_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;
  let base = '';
  let pageErrors: string[] = [];

  before(async () => {
    session = await openLabSession('experiments', '#/experiments', seed);
    ({ page, base, pageErrors } = session);
  });
  after(() => session?.close());

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-${name}.png`) });

  it('lists the sweep and shows 8 grid points of 6 seeds with the throughput-vs-size chart', async () => {
    await page.getByRole('link', { name: 'fq-size' }).click();
    const table = page.getByRole('table', { name: 'Grid points' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 8);
    const header = (await table.locator('thead').innerText()).replace(/\s+/g, ' ');
    assert.match(header, /backend policy size seeds throughputGbps/);
    const first = (await rows.first().innerText()).replace(/\s+/g, ' ').trim();
    assert.match(first, /^nested-fl strict 64 6 \d+(\.\d+)? ± \d/);
    // The chart: x is flushQueue.size, one line per backend x policy.
    await page.getByText('throughputGbps vs flushQueue.size').waitFor();
    assert.equal(await page.locator('.uplot').count(), 1);
    const legend = await page.locator('.uplot .u-legend').innerText();
    for (const line of ['backend=nested-fl policy=strict', 'backend=shadow-sl policy=lazy']) assert.ok(legend.includes(line), `legend has ${line}: ${legend}`);
    await page.getByRole('table', { name: 'Best configuration per backend' }).waitFor();
    assert.ok((await page.getByRole('table', { name: 'Pareto front' }).locator('tbody tr').count()) >= 2);
    await shot('experiment');
    await page.locator('figure.chart').screenshot({ path: join(OUT, 'e2e-experiment-chart.png') });
    await page.locator('main').evaluate((m) => m.scrollTo(0, m.scrollHeight));
    await shot('experiment-effects');
    await page.locator('main').evaluate((m) => m.scrollTo(0, 0));

    // One line per policy, shadow-sl held.
    await page.getByLabel('Lines by').selectOption('policy');
    await page.getByLabel('viommu.backend', { exact: true }).selectOption(JSON.stringify('shadow-sl'));
    const legend2 = await page.locator('.uplot .u-legend').innerText();
    assert.ok(legend2.includes('policy=strict') && legend2.includes('policy=lazy') && !legend2.includes('backend='), legend2);
    await page.locator('figure.chart').screenshot({ path: join(OUT, 'e2e-experiment-lines-by-policy.png') });
  });

  it('the journal shows scenario columns and filters by a field', async () => {
    await page.goto(`${base}#/runs`);
    await page.getByRole('row').nth(1).waitFor();
    await page.locator('.chooser summary').click();
    await page.getByRole('group', { name: 'Scenario columns' }).getByText('flushQueue.size', { exact: true }).click();
    await page.locator('.chooser summary').click();
    await page.getByRole('columnheader', { name: 'size' }).waitFor();
    await page.getByLabel('Scenario field').selectOption('flushQueue.size');
    await page.getByLabel('Field value').fill('256');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByText(/^24 runs$/).waitFor();
    // Every row in view gets its values (none left loading), and the filter holds.
    await page.locator('.body .cell.field', { hasText: /^256$/ }).first().waitFor();
    await page.waitForFunction("![...document.querySelectorAll('.body .cell.field')].some((c) => c.textContent === '…')");
    assert.equal(await page.locator('.body .cell.field', { hasText: /^64$/ }).count(), 0);
    assert.ok((await page.locator('.body .cell.field', { hasText: /^shadow-sl$/ }).count()) > 0);
    await shot('journal-scenario-columns');
  });

  it('orders the history by commit with the marker before the step, and time as an option', async () => {
    await page.goto(`${base}#/benchmarks/rx`);
    const points = page.getByRole('table', { name: 'Points' });
    await points.waitFor();
    await page.getByText('No change points').waitFor();
    const keys = await points.locator('tbody tr:not(.shift-row) td:first-child').allInnerTexts();
    assert.equal(keys.length, 20);
    assert.deepEqual(keys.slice(0, 3), ['v6.8-1-g0001', 'v6.8-2-g0002', 'v6.8-3-g0003']);
    const shiftRow = points.locator('tr.shift-row');
    assert.match(await shiftRow.innerText(), /marker: vhost rework/);
    // The marker row sits right before commit 11.
    const after = shiftRow.locator('xpath=following-sibling::tr[1]');
    assert.match(await after.innerText(), /v6\.8-11-g000b/);
    await page.locator('.uplot').first().waitFor();
    await shot('history-by-commit');

    // Time as an option: measured in reverse commit order, so the first point is now commit 20.
    await page.getByLabel('Order by').selectOption('time');
    await page.getByText('in time order').waitFor();
    assert.match(await points.locator('tbody tr:not(.shift-row)').first().innerText(), /commit v6\.8-20-g0014/);
    await shot('history-by-time');
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
