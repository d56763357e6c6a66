// The UI end to end in Debian Chromium against `iommu-lab serve` on a fresh
// journal: a run from a preset, its detail, a comparison, a cancelled sweep,
// and a field the form refuses; then, on a journal seeded with strict and lazy
// runs, a benchmark's change point and a run-set comparison's verdict. Needs a built renderer (npx vite build
// --config renderer/vite.config.ts) and /usr/bin/chromium; saves screenshots
// to test-artifacts/. Waits on what the page shows, never on fixed delays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { missing, openLabSession, OUT, type LabSession } from './browser.ts';

const RUN_TIMEOUT_MS = 90_000;

describe('UI end to end', { skip: missing, timeout: 300_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;
  let base = '';
  let pageErrors: string[] = [];

  before(async () => {
    session = await openLabSession('ui', '#/runs');
    ({ page, base, pageErrors } = session);
  });

  after(() => session?.close());

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-${name}.png`) });
  const currentRunId = (): string => decodeURIComponent(/#\/runs\/([^/?]+)/.exec(page.url())?.[1] ?? '');

  it('keeps the token out of the address bar and shows the empty journal', async () => {
    await page.getByText('No runs yet. Start one from a preset.').waitFor();
    assert.ok(!page.url().includes('token='), `token still in ${page.url()}`);
    await shot('empty-journal');
  });

  it('starts a run from a preset and follows it to done in its detail view', async () => {
    await page.getByRole('link', { name: 'New run', exact: true }).first().click();
    await page.getByLabel('Preset').selectOption('seed-after-fix');
    // Enabled once the preview has validated the preset.
    await page.locator('button:not([disabled])', { hasText: /^\s*Start run\s*$/ }).click();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}/);
    await page.locator('.page-head .badge', { hasText: 'done' }).waitFor({ timeout: RUN_TIMEOUT_MS });
    await page.getByText(/^Bottleneck/).waitFor();
    await page.getByRole('heading', { name: 'Policy decision' }).waitFor();
    assert.ok((await page.locator('.uplot').count()) >= 1, 'the run detail draws its series');
    await shot('run-done');
  });

  it('re-runs, then compares the two runs from the journal selection', async () => {
    const first = currentRunId();
    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((u) => /#\/runs\//.test(u.hash) && !u.hash.includes(first));
    await page.locator('.page-head .badge', { hasText: 'done' }).waitFor({ timeout: RUN_TIMEOUT_MS });

    await page.goto(`${base}#/runs`);
    const boxes = page.getByRole('checkbox', { name: /^Select / });
    await boxes.nth(1).waitFor();
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await page.waitForURL(/#\/compare\?ids=/);
    const metrics = page.getByRole('table', { name: 'Metrics' });
    await metrics.waitFor();
    const throughputRow = metrics.getByRole('row').filter({ hasText: 'Throughput' });
    assert.match((await throughputRow.innerText()).replace(/\s+/g, ' '), /×\d/);
    await shot('compare');
  });

  it('starts a sweep and cancels it', async () => {
    await page.goto(`${base}#/new`);
    await page.getByLabel('Preset').selectOption('seed-after-fix');
    await page.getByLabel('Sweep', { exact: true }).check();
    await page.getByLabel('Seeds').fill('20');
    await page.locator('button:not([disabled])', { hasText: /^\s*Start sweep\s*$/ }).click();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await shot('sweep-cancelled');

    // The journal's cancelled filter finds the sweep's runs (20 runs on a few workers: most were still queued).
    await page.goto(`${base}#/runs`);
    await page.getByRole('button', { name: 'cancelled', exact: true }).click();
    await page.locator('.body .row .badge', { hasText: 'cancelled' }).first().waitFor({ timeout: RUN_TIMEOUT_MS });
    await shot('journal-cancelled');
  });

  it('marks an invalid field and will not start', async () => {
    await page.goto(`${base}#/new`);
    const vcpus = page.getByLabel('vCPUs', { exact: true });
    await vcpus.fill('0');
    await page.locator('[aria-invalid="true"]').first().waitFor();
    assert.equal(await vcpus.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Start run' }).isDisabled(), true);
    await shot('invalid-field');
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});

/**
 * Six seeds of seed-after-fix under strict invalidation, then the same six
 * seeds under lazy, all added to a "policy step" benchmark in that order.
 * Lazy runs start only once the strict ones are done, so every lazy point is
 * later in time than every strict one and the history has one step up.
 */
async function seedPolicyStep(journal: string): Promise<{ strict: string[]; lazy: string[] }> {
  const lab = Lab.open({ journalPath: journal, workers: 2 });
  try {
    const runPolicy = async (policy: string): Promise<string[]> => {
      const { runIds } = await lab.call('runs.start', {
        source: { preset: 'seed-after-fix', overrides: [`policy=${policy}`, 'durationMs=30', 'warmupMs=3'] },
        seeds: 6,
        tags: [policy],
      });
      const ended = await lab.call('runs.wait', { ids: runIds });
      const notDone = ended.filter((r) => r.status !== 'done');
      assert.deepEqual(notDone.map((r) => `${r.name}: ${r.status} ${r.error ?? ''}`), [], `${policy} runs did not finish`);
      return runIds;
    };
    const strict = await runPolicy('strict');
    const lazy = await runPolicy('lazy');
    await lab.call('benchmarks.create', { name: 'policy step', metric: 'throughputGbps', description: 'strict, then lazy invalidation', higherIsBetter: true });
    for (const runId of [...strict, ...lazy]) await lab.call('benchmarks.addRun', { benchmark: 'policy step', runId });
    return { strict, lazy };
  } finally {
    await lab.close();
  }
}

describe('UI end to end: change points and run-set verdicts', { skip: missing, timeout: 300_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;
  let base = '';
  let runs: { strict: string[]; lazy: string[] } = { strict: [], lazy: [] };
  let pageErrors: string[] = [];

  before(async () => {
    session = await openLabSession('sets', '#/runs', async (journal) => {
      runs = await seedPolicyStep(journal);
    });
    ({ page, base, pageErrors } = session);
    await page.getByRole('row').nth(1).waitFor();
  });

  after(() => session?.close());

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-${name}.png`) });

  it('shows the strict-to-lazy step as a detected improvement, and lazy as better in run-set mode', async () => {
    await page.goto(`${base}#/benchmarks/${encodeURIComponent('policy step')}`);
    const changes = page.getByRole('table', { name: 'Detected changes' });
    await changes.waitFor();
    const change = changes.locator('.change.improvement');
    assert.equal(await change.count(), 1, 'one detected change, an improvement');
    assert.match(await change.innerText(), /^improvement \+\d+(\.\d)?%$/);
    // The points table flags one point as opening the new level: a lazy run's (the first lazy one to finish).
    const flagged = page.locator('tr.opens-change');
    assert.equal(await flagged.count(), 1);
    const href = decodeURIComponent((await flagged.locator('a').getAttribute('href')) ?? '');
    assert.ok(runs.lazy.some((id) => href.endsWith(id)), `a lazy run opens the change, got ${href}`);
    await page.getByText('Latest vs baseline:').waitFor();
    await page.locator('.uplot').first().waitFor();
    await shot('benchmark-change-point');

    // The default split takes the configuration run first as the base, whatever the order in the URL (the
    // journal lists newest first): strict, so lazy is the head.
    await page.goto(`${base}#/compare?ids=${[...runs.lazy, ...runs.strict].join(',')}`);
    await page.getByRole('tab', { name: 'Run sets' }).click();
    const verdicts = page.getByRole('table', { name: 'Run set verdicts' });
    await verdicts.waitFor({ timeout: RUN_TIMEOUT_MS });
    const row = verdicts.locator('tr[data-metric="throughputGbps"]');
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    assert.equal((await row.locator('.verdict').innerText()).trim(), 'better', text);
    assert.match(text, /×\d+\.\d{3} \[\d+\.\d{3}, \d+\.\d{3}\]/, 'a ratio with its interval');
    assert.ok(((await row.locator('.verdict').getAttribute('title')) ?? '').length > 0, 'the verdict explains itself on hover');
    await shot('compare-run-sets');
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
