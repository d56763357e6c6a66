// Cost profiles and the calibration helper end to end, in Debian Chromium
// against `iommu-lab serve` on a journal seeded with one measured iperf3 run:
// calibrate exitRoundTripNs to it, review the fit, save it as a profile, find
// it in the list and its page, refit it (refusing, then replacing, the name),
// and start a run that uses it. Needs a built renderer (npx vite build
// --config renderer/vite.config.ts) and /usr/bin/chromium; saves screenshots
// to test-artifacts/calibration-*.png. Waits on what the page shows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { COST_TABLE } from '../../core/model/costs.ts';
import { defaultBounds } from '../../renderer/src/lib/costs.ts';
import { missing, openLabSession, OUT, ROOT, type LabSession } from './browser.ts';

const FIT_TIMEOUT_MS = 90_000;
const PROFILE = 'e2e-fit';

/** One measured run: the iperf3 fixture (two TCP streams, about 19 Gbit/s received). */
async function seedMeasured(journal: string): Promise<string> {
  const lab = Lab.open({ journalPath: journal, workers: 2 });
  try {
    await lab.call('benchmarks.create', { name: 'iperf-rx', metric: 'receivedGbps', higherIsBetter: true });
    const text = readFileSync(join(ROOT, 'test/fixtures/iperf3/tcp-parallel.json'), 'utf8');
    const imported = await lab.call('measurements.import', { tool: 'iperf3', text, benchmark: 'iperf-rx', fileName: 'tcp-parallel.json' });
    return imported.runId;
  } finally {
    await lab.close();
  }
}

/** "73.8 %" -> 0.738 */
async function shownPercent(cell: Locator): Promise<number> {
  const text = (await cell.innerText()).trim();
  const m = /^([\d.]+) %$/.exec(text);
  assert.ok(m?.[1], `a percentage, got ${JSON.stringify(text)}`);
  return Number(m[1]) / 100;
}

describe('Calibration and cost profiles end to end', { skip: missing, timeout: 300_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;
  let base = '';
  let measuredRunId = '';
  let pageErrors: string[] = [];

  before(async () => {
    session = await openLabSession('calibration', '#/profiles', async (journal) => {
      measuredRunId = await seedMeasured(journal);
    });
    ({ page, base, pageErrors } = session);
  });

  after(() => session?.close());


  /** A screenshot; `whole` grows the window to the page's height first (the page scrolls inside <main>, so fullPage would not). */
  async function shot(name: string, whole = false): Promise<void> {
    const path = join(OUT, `calibration-${name}.png`);
    if (!whole) {
      await page.screenshot({ path });
      return;
    }
    const height = await page.locator('main').evaluate((m) => m.scrollHeight + 40);
    await page.setViewportSize({ width: 1280, height: Math.max(800, height) });
    await page.screenshot({ path });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
  const point = (n: number): Locator => page.getByRole('group', { name: `Point ${n}` });
  const status = (): Locator => page.locator('#fit-blocker');

  it('explains profiles when there are none', async () => {
    await page.getByText('No cost profiles yet.').waitFor();
    await page.getByText('iommu-lab calibrate SPEC.json').waitFor();
    await shot('profiles-empty');
  });

  it('builds a fit: the measured run under seed-before-fix, exitRoundTripNs within its default bounds', async () => {
    await page.getByRole('link', { name: 'Calibrate', exact: true }).click();
    await page.waitForURL(/#\/calibrate/);
    await page.getByText('No points yet.').waitFor();
    assert.match(await status().innerText(), /add at least one point/);

    await page.getByRole('button', { name: 'Add measured run…' }).click();
    const picker = page.getByRole('region', { name: 'Measured runs' });
    await picker.getByText('receivedGbps').first().waitFor();
    await shot('run-picker');
    await picker.getByRole('button', { name: 'Add iperf-rx: tcp-parallel.json as a point' }).click();
    await point(1).getByText(measuredRunId.slice(0, 8)).waitFor();
    await point(1).getByLabel('Preset').selectOption('seed-before-fix');
    // With no measured metric given, the service compares throughput with iperf3's received rate.
    assert.equal(await point(1).getByLabel('Measured metric').getAttribute('placeholder'), 'default: receivedGbps');

    await page.getByRole('button', { name: 'Add a cost to fit…' }).click();
    await shot('cost-table');
    await page.getByRole('button', { name: 'Fit exitRoundTripNs' }).click();
    // Default bounds: a factor of 4 around the table's value, rounded outward.
    const bounds = defaultBounds(COST_TABLE.exitRoundTripNs.valueNs);
    assert.equal(await page.getByLabel('Min of exitRoundTripNs').inputValue(), String(bounds.min));
    assert.equal(await page.getByLabel('Max of exitRoundTripNs').inputValue(), String(bounds.max));
    await page.getByRole('button', { name: 'Close the cost table' }).click();

    await page.getByLabel('Profile name').fill(PROFILE);
    await page.getByLabel('Description').fill('exit round trip fitted to the iperf3 fixture');
    await status().filter({ hasText: 'Ready: 1 cost to 1 point.' }).waitFor();
    await shot('form', true);
  });

  it('shows a scenario error from the service next to the point it is about', async () => {
    const overrides = point(1).getByLabel(/^Overrides/);
    await overrides.fill('guest.kernel=zzz');
    const error = point(1).locator('.field-error', { hasText: 'guest.kernel:' });
    await error.waitFor();
    assert.equal(await overrides.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Start fit' }).isDisabled(), true);
    await shot('field-error');

    // A line without "=" is refused before the service is asked.
    await overrides.fill('guest.kernel');
    await point(1).locator('.field-error', { hasText: 'line 1: write path=value' }).waitFor();
    await overrides.fill('');
    await status().filter({ hasText: 'Ready:' }).waitFor();
  });

  it('fits, and the RMS residual shown after the fit is smaller than before', async () => {
    await page.getByRole('button', { name: 'Start fit' }).click();
    const residuals = page.getByRole('region', { name: 'Residuals' });
    await residuals.waitFor({ timeout: FIT_TIMEOUT_MS });
    const before = await shownPercent(page.locator('[data-rms="before"]'));
    const after = await shownPercent(page.locator('[data-rms="after"]'));
    assert.ok(after < before, `RMS after (${after}) < before (${before})`);
    // One point: its row links to the measured run and shows a signed residual.
    const row = residuals.locator('tr[data-point="0"]');
    assert.equal(await row.getByRole('link').getAttribute('href'), `#/runs/${measuredRunId}`);
    assert.match(await row.innerText(), /[+−]\d+(\.\d+)? %/);
    await shot('fit', true);
  });

  it('saves the fit as a profile, listed with its RMS and shown with its costs and residuals', async () => {
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), PROFILE);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText(`Saved as profile ${PROFILE}.`).waitFor();

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Profiles' }).click();
    const row = page.getByRole('row').filter({ hasText: PROFILE });
    await row.waitFor();
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /fitted/);
    assert.match(text, /exitRoundTripNs/);
    assert.match(text, /\d+(\.\d+)? % from \d+(\.\d+)? %/);
    await shot('profiles-list');

    await row.getByRole('link', { name: PROFILE }).click();
    await page.waitForURL(new RegExp(`#/profiles/${PROFILE}$`));
    const costs = page.getByRole('region', { name: 'Costs', exact: true });
    const costRow = costs.getByRole('row').filter({ hasText: 'exitRoundTripNs' });
    await costRow.waitFor();
    assert.match(await costRow.innerText(), new RegExp(String(COST_TABLE.exitRoundTripNs.valueNs)), 'the table value beside the profile value');
    await page.getByRole('region', { name: 'Residuals' }).waitFor();
    await page.getByText('exit round trip fitted to the iperf3 fixture').waitFor();
    await shot('profile-detail', true);
  });

  it('refits from the profile: the same points and scenarios, refuses the taken name, then replaces it', async () => {
    await page.getByRole('link', { name: 'Recalibrate' }).click();
    await page.waitForURL(/#\/calibrate\?from=/);
    await page.getByText(`Refilled from the fit of ${PROFILE}`).waitFor();
    assert.equal(await page.getByLabel('Min of exitRoundTripNs').inputValue(), String(defaultBounds(COST_TABLE.exitRoundTripNs.valueNs).min));
    assert.equal(await point(1).getByLabel('Preset').inputValue(), 'seed-before-fix', 'the stored fit keeps each point\'s scenario');
    await page.getByLabel('Replace a profile of the same name').uncheck();
    await status().filter({ hasText: 'Ready:' }).waitFor();

    await page.getByRole('button', { name: 'Start fit' }).click();
    await page.getByRole('region', { name: 'Residuals' }).waitFor({ timeout: FIT_TIMEOUT_MS });
    await page.getByRole('button', { name: 'Save profile' }).click();
    const conflict = page.locator('.save-conflict');
    await conflict.getByText('already exists').waitFor();
    await shot('save-conflict');
    await conflict.getByRole('button', { name: `Replace ${PROFILE}` }).click();
    await page.getByText(`Saved as profile ${PROFILE}.`).waitFor();
  });

  it('starts a run with the profile, and the run says so', async () => {
    await page.goto(`${base}#/profiles/${PROFILE}`);
    await page.getByRole('link', { name: 'New run with this profile' }).click();
    await page.waitForURL(/#\/new\?profile=/);
    const select = page.getByLabel('Cost profile');
    await select.waitFor();
    assert.equal(await select.inputValue(), PROFILE);
    await page.getByLabel('Preset').selectOption('seed-after-fix');
    assert.equal(await select.inputValue(), PROFILE, 'a preset keeps the chosen profile');
    await page.getByText(`unset costs come from profile ${PROFILE}`).waitFor();
    await page.getByText('No valid scenario yet.').waitFor({ state: 'hidden' });
    await shot('new-run');

    await page.locator('button:not([disabled])', { hasText: /^\s*Start run\s*$/ }).click();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}/);
    await page.locator('.page-head .badge', { hasText: 'done' }).waitFor({ timeout: FIT_TIMEOUT_MS });
    const scenarioRow = page.locator('table.fields tr').filter({ hasText: 'costProfile' });
    assert.match(await scenarioRow.innerText(), new RegExp(PROFILE));
    assert.equal(await page.locator('.facts a', { hasText: PROFILE }).getAttribute('href'), `#/profiles/${PROFILE}`);
    await shot('run');

    // "g p" goes to the profiles from anywhere.
    await page.keyboard.press('g');
    await page.keyboard.press('p');
    await page.waitForURL(/#\/profiles$/);
  });

  it('reads in the dark theme too', async () => {
    await page.evaluate("localStorage.setItem('iommu-lab.theme', 'dark')");
    await page.goto(`${base}#/profiles/${PROFILE}`);
    await page.reload();
    await page.getByRole('region', { name: 'Residuals' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
    await shot('profile-detail-dark', true);
    await page.goto(`${base}#/calibrate?run=${measuredRunId}`);
    await point(1).waitFor();
    await page.getByRole('button', { name: 'Add published value' }).click();
    await point(2).getByLabel('Observed value').fill('51');
    await shot('form-dark', true);
  });

  it('deletes the profile after asking', async () => {
    await page.goto(`${base}#/profiles/${PROFILE}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this cost profile?' });
    await dialog.getByText('Runs made with it keep their costs').waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/#\/profiles$/);
    await page.getByText('No cost profiles yet.').waitFor();
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
