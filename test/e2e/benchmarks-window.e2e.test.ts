// Benchmarks from the window, in Debian Chromium against `serve`: dropping
// iperf3 files with a benchmark name that does not exist offers to create it
// (no API names in sight), and Compare overlays a measured iperf3 run and a
// simulation on one clock in seconds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { dropIperf3Fixtures, missing, openLabSession, OUT, type LabSession } from './browser.ts';

describe('benchmarks from the window', { skip: missing, timeout: 180_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;
  let simulatedId = '';

  before(async () => {
    session = await openLabSession('bench', '#/runs', async (journal) => {
      const lab = Lab.open({ journalPath: journal, workers: 1 });
      try {
        const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix' } });
        await lab.call('runs.wait', { ids: runIds });
        simulatedId = runIds[0] as string;
        // A history that drops from about 51 to about 39 Gbit/s: six lazy seeds, then six strict ones.
        const lazy = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=50'] }, seeds: 6 });
        const strict = await lab.call('runs.start', { source: { preset: 'seed-before-fix', overrides: ['durationMs=50'] }, seeds: 6 });
        await lab.call('runs.wait', { ids: [...lazy.runIds, ...strict.runIds] });
        await lab.call('benchmarks.create', { name: 'rx drop', metric: 'throughputGbps', higherIsBetter: true });
        await lab.call('benchmarks.create', { name: 'second drop', metric: 'throughputGbps', higherIsBetter: true });
        for (const id of [...lazy.runIds, ...strict.runIds]) {
          await lab.call('benchmarks.addRun', { benchmark: 'rx drop', runId: id });
          await lab.call('benchmarks.addRun', { benchmark: 'second drop', runId: id });
        }
      } finally {
        await lab.close();
      }
    });
    page = session.page;
    await page.getByRole('checkbox', { name: /^Select / }).first().waitFor();
  });
  after(() => session?.close());

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-bench-${name}.png`) });

  it('offers to create the benchmark a drop names when it does not exist', async () => {
    await dropIperf3Fixtures(page, ['tcp-reverse.json', 'tcp-send.json']);
    const dialog = page.getByRole('dialog', { name: 'Import 2 iperf3 results' });
    await dialog.waitFor();
    await dialog.getByLabel('Benchmark', { exact: true }).fill('lab rx');
    const create = dialog.getByRole('group', { name: 'New benchmark' });
    await create.getByText(/No benchmark is named lab rx yet: importing creates it/).waitFor();
    await create.getByLabel('Metric it follows').selectOption('receivedGbps');
    assert.doesNotMatch(await dialog.innerText(), /benchmarks\.\w+|measurements\.\w+/, 'no API method named to the user');
    await shot('create-offer');
    await dialog.getByRole('button', { name: 'Create and import' }).click();
    await dialog.getByRole('button', { name: 'Open benchmark' }).waitFor();
    assert.match(await dialog.locator('.results').innerText(), /tcp-reverse\.json: Received [\d.]+ Gbit\/s/);
    await dialog.getByRole('button', { name: 'Open benchmark' }).click();
    await page.getByText(/2 points · 0 markers/).waitFor();
    await page.getByText(/receivedGbps/).first().waitFor();
  });

  it('flags the unacknowledged regression on the list, and acknowledging it clears the flag', async () => {
    await page.goto(`${new URL(page.url()).origin}/#/benchmarks`);
    const row = page.getByRole('row').filter({ hasText: 'rx drop' });
    const flag = row.locator('[data-regression]');
    await flag.getByText(/unacknowledged -2\d\.\d%/).waitFor();
    await page.getByRole('status').getByText(/2 benchmarks have a regression worse than 2% that nobody acknowledged/).waitFor();
    await shot('regression');
    await flag.getByRole('button', { name: 'Acknowledge' }).click();
    await flag.getByText(/^\s*none\s*$/).waitFor();
    await page.getByRole('status').getByText(/^\s*second drop has a regression worse than 2%/).waitFor();
    // The acknowledgement is a marker before the regression's first point, visible in the history.
    await row.getByRole('link', { name: 'rx drop' }).click();
    await page.getByText(/12 points · 1 marker/).waitFor();
    await page.getByText(/acknowledged: regression -2\d\.\d%/).first().waitFor();
  });

  it('acknowledges a regression from its history page too', async () => {
    await page.goto(`${new URL(page.url()).origin}/#/benchmarks/second%20drop`);
    const changes = page.getByRole('table', { name: 'Detected changes' });
    const row = changes.getByRole('row').filter({ hasText: /regression -2\d\.\d%/ });
    await row.getByText('unacknowledged').waitFor();
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText(/12 points · 1 marker/).waitFor();
    await page.getByText(/0 detected/).waitFor();
  });

  it('overlays a measured run and a simulation in seconds', async () => {
    const base = new URL(page.url()).origin;
    await page.goto(`${base}/#/runs`);
    const measured = page.getByRole('row').filter({ hasText: 'tcp-reverse' }).getByRole('link').first();
    const href = (await measured.getAttribute('href')) ?? '';
    const measuredId = decodeURIComponent(href.replace('#/runs/', ''));
    await page.goto(`${base}/#/compare?ids=${simulatedId},${measuredId}`);
    const series = page.getByRole('region', { name: 'Series' });
    await series.getByText(/Time in seconds: measured runs count the tool's seconds/).waitFor();
    const chart = series.locator('.uplot').first();
    await chart.waitFor();
    // The legend's time reads the cursor's x: in seconds, and within the iperf3 test's length (about 10 s), not thousands.
    const box = await chart.locator('.u-over').boundingBox();
    assert.ok(box);
    await chart.scrollIntoViewIfNeeded();
    const over = await chart.locator('.u-over').boundingBox();
    assert.ok(over);
    await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
    await page.mouse.move(over.x + over.width * 0.9, over.y + over.height / 2, { steps: 5 });
    const legend = chart.locator('.u-legend tr').first();
    await legend.filter({ hasText: /\d/ }).waitFor({ timeout: 5000 });
    const legendT = await legend.innerText();
    const m = /([\d.]+) s\b/.exec(legendT);
    assert.ok(m, `the time axis is in seconds: ${legendT}`);
    assert.ok(Number(m[1]) > 1 && Number(m[1]) < 60, `t within the measured test: ${legendT}`);
    await shot('compare-clock');
    assert.deepEqual(session?.pageErrors, []);
  });
});
