// The first screen of an empty journal, in Debian Chromium against `serve`:
// one click reproduces the seed patch (both seed presets, six seeds each) and
// lands on their run-set comparison with the throughput verdict and each
// configuration's bottleneck. Screenshots go to test-artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { dropIperf3Fixtures, missing, openLabSession, OUT, type LabSession } from './browser.ts';

describe('first screen', { skip: missing, timeout: 300_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;

  before(async () => {
    session = await openLabSession('first', '#/runs');
    page = session.page;
  });
  after(() => session?.close());

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-first-${name}.png`) });

  it('offers to reproduce the seed patch and says what the lab answers', async () => {
    await page.getByRole('button', { name: 'Reproduce the seed patch' }).waitFor();
    await page.getByRole('heading', { name: 'What the lab answers' }).waitFor();
    // The seed figures calibrated the costs: the page must not sell reproducing them as a prediction.
    await page.getByText(/The default costs were fitted to these two figures/).waitFor();
    await shot('empty');
  });

  it('reproduces the seed patch in one click and lands on the run-set verdict with the bottlenecks', async () => {
    await page.getByRole('button', { name: 'Reproduce the seed patch' }).click();
    await page.getByText(/Running \d+ of 12 ended/).waitFor();
    await page.waitForURL(/#\/compare\?ids=.*&mode=sets/, { timeout: 240_000 });
    assert.equal((new URL(page.url()).hash.match(/ids=([^&]*)/)?.[1] ?? '').split(',').length, 12);
    const verdicts = page.getByRole('table', { name: 'Run set verdicts' });
    await verdicts.waitFor();
    const row = (await verdicts.getByRole('row').filter({ hasText: /Throughput/ }).first().innerText()).replace(/\s+/g, ' ');
    const means = [...row.matchAll(/(\d+(?:\.\d+)?) ±/g)].map((m) => Number(m[1]));
    assert.equal(means.length, 2, `base and head means in: ${row}`);
    const [base, head] = means as [number, number];
    // The published figures are about 39.3 (kernel 6.2, strict) and 51 (kernel 6.3, lazy) Gbit/s.
    assert.ok(base > 30 && base < 48 && head > 44 && head < 60 && head > base, `throughput base ${base}, head ${head}: ${row}`);
    assert.match(row, /better|improved|faster|higher/i, `the verdict calls the gain: ${row}`);
    const why = page.getByRole('region', { name: 'Bottlenecks' });
    await why.waitFor();
    assert.equal(await why.locator('.bottleneck').count(), 2);
    assert.match(await why.innerText(), /seed-before-fix: bottleneck[\s\S]*seed-after-fix: bottleneck/);
    await shot('verdict');
    assert.deepEqual(session?.pageErrors, []);
  });

  it('creates a benchmark from the catalog and adds the runs ticked in the journal', async () => {
    const base = new URL(page.url()).origin;
    await page.goto(`${base}/#/benchmarks`);
    await page.getByText('No benchmarks yet.').waitFor();
    assert.doesNotMatch(await page.locator('.empty').innerText(), /benchmarks\.(create|addRun)/, 'empty states name buttons and commands, not API methods');
    await page.getByRole('button', { name: 'New benchmark' }).click();
    const form = page.getByRole('form', { name: 'New benchmark' });
    await form.getByLabel('Name').fill('seed rx');
    await form.getByLabel('Metric').selectOption('throughputGbps');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/#\/benchmarks\/seed%20rx|#\/benchmarks\/seed rx/);
    await page.getByText('No points yet.').waitFor();

    await page.goto(`${base}/#/runs`);
    const boxes = page.getByRole('checkbox', { name: /^Select / });
    await boxes.nth(1).waitFor();
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    // The focus is on the ticked checkbox: the shortcut still compares the two.
    await page.keyboard.press('c');
    await page.waitForURL(/#\/compare\?ids=[^,&]+,[^,&]+$/);
    await page.goto(`${base}/#/benchmarks/seed%20rx`);
    await page.getByRole('button', { name: 'Add 2 selected runs' }).click();
    await page.getByText(/2 points · 0 markers/).waitFor();
    await shot('benchmark');
  });

  it('imports two iperf3 files dropped on the window, with their context, into a benchmark', async () => {
    await page.goto(`${new URL(page.url()).origin}/#/benchmarks`);
    await page.getByRole('button', { name: 'New benchmark' }).click();
    const form = page.getByRole('form', { name: 'New benchmark' });
    await form.getByLabel('Name').fill('rx measured');
    await form.getByLabel('Metric').selectOption('receivedGbps');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByText('No points yet.').waitFor();
    await dropIperf3Fixtures(page, ['tcp-reverse.json', 'tcp-send.json']);
    const dialog = page.getByRole('dialog', { name: 'Import 2 iperf3 results' });
    await dialog.waitFor();
    await dialog.getByLabel('Benchmark', { exact: true }).fill('rx measured');
    await dialog.getByLabel(/Context/).fill('kernel=6.8 qemu=8.2');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByRole('button', { name: 'Open benchmark' }).waitFor();
    const results = await dialog.locator('.results').innerText();
    assert.match(results, /tcp-reverse\.json: Received [\d.]+ Gbit\/s/, results);
    assert.match(results, /tcp-send\.json: Received [\d.]+ Gbit\/s/, results);
    await shot('imported');
    await dialog.getByRole('button', { name: 'Open benchmark' }).click();
    await page.getByText(/2 points · 0 markers/).waitFor();
    await page.getByLabel('Marker label').fill('host moved to QEMU 9');
    await page.getByRole('button', { name: 'Mark before' }).nth(1).click();
    await page.getByText(/2 points · 1 marker/).waitFor();
    await shot('measured-history');
    // The list shows each benchmark's latest value and its points.
    await page.goto(`${new URL(page.url()).origin}/#/benchmarks`);
    const row = page.getByRole('row').filter({ hasText: 'rx measured' });
    await row.locator('[data-latest]').waitFor();
    assert.match((await row.innerText()).replace(/\s+/g, ' '), /rx measured Received Gbit\/s receivedGbps 19\.1 Gbit\/s 2 /);
    await shot('benchmark-list');
    assert.deepEqual(session?.pageErrors, []);
  });
});
