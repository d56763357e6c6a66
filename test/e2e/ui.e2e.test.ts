// The UI end to end in Debian Chromium against `iommu-lab serve` on a fresh
// journal: a run from a preset, its detail, a comparison, a cancelled sweep,
// and a field the form refuses. Needs a built renderer (npx vite build
// --config renderer/vite.config.ts) and /usr/bin/chromium; saves screenshots
// to test-artifacts/. Waits on what the page shows, never on fixed delays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RUN_TIMEOUT_MS = 90_000;

const missing = !existsSync(join(ROOT, 'renderer/dist/index.html'))
  ? 'renderer/dist is not built (npx vite build --config renderer/vite.config.ts)'
  : !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install -y chromium)`
    : false;

describe('UI end to end', { skip: missing, timeout: 300_000 }, () => {
  let dir = '';
  let serve: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base = '';
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'iommu-lab-e2e-'));
    const child = spawn(process.execPath, [join(ROOT, 'bin/iommu-lab.js'), 'serve', '--port', '0', '--journal', join(dir, 'e2e.db')], { stdio: ['ignore', 'pipe', 'pipe'] });
    serve = child;
    const url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Listening on (\S+)/.exec(out);
        if (m?.[1]) resolveUrl(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    });
    base = url.replace(/\?.*$/, '');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${url}#/runs`);
  });

  after(async () => {
    await browser?.close();
    serve?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

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
