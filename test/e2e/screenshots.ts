// Screenshots of every view, light and dark, at 1280x800, against
// `iommu-lab serve` on a freshly seeded temporary journal. Writes PNGs to
// test-artifacts/ and fails on page errors and CSP violations.
//
//   npx vite build --config renderer/vite.config.ts
//   node --import tsx test/e2e/screenshots.ts
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { CHROMIUM, launchChromium, OUT, ROOT, startServe } from './browser.ts';

/** A journal with enough in it to show every view: presets, seeds, a sweep, tags, notes, a benchmark. */
async function seedJournal(path: string): Promise<{ runIds: string[] }> {
  const lab = Lab.open({ journalPath: path, workers: 2 });
  try {
    const started: string[] = [];
    const start = async (preset: string, extra: { seeds?: number; tags?: string[] } = {}): Promise<void> => {
      const r = await lab.call('runs.start', { source: { preset }, ...extra });
      started.push(...r.runIds);
    };
    await start('seed-before-fix', { tags: ['baseline', 'rx'] });
    await start('seed-after-fix', { seeds: 2, tags: ['fix', 'rx'] });
    await start('shadow-sl', { tags: ['backend'] });
    await start('shadow-fl-wp', { tags: ['backend'] });
    await start('bare-metal');
    await start('seed-tx', { tags: ['tx'] });
    const sweep = await lab.call('sweeps.start', { spec: { name: 'policy x backend', base: { preset: 'seed-after-fix' }, grid: { policy: ['strict', 'lazy'] }, seeds: 2, tags: ['sweep'] } });
    started.push(...sweep.runIds);
    await lab.call('runs.wait', { ids: started });

    await lab.call('runs.note', { id: started[0] as string, body: 'Strict invalidation on 6.2: every unmap exits to the VMM.' });
    await lab.call('benchmarks.create', { name: 'rx-throughput', metric: 'throughputGbps', description: 'iperf-rx on the seed setup', higherIsBetter: true });
    const points = [];
    for (const id of started.slice(0, 4)) points.push(await lab.call('benchmarks.addRun', { benchmark: 'rx-throughput', runId: id }));
    const times = points.map((p) => Date.parse(p.measuredAt));
    const mid = new Date((Math.min(...times) + Math.max(...times)) / 2).toISOString();
    await lab.call('benchmarks.mark', { benchmark: 'rx-throughput', at: mid, label: 'lazy default' });
    return { runIds: started };
  } finally {
    await lab.close();
  }
}

async function settle(page: Page): Promise<void> {
  // Charts size themselves after layout; a couple of frames and idle network are enough.
  await page.waitForLoadState('networkidle');
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'renderer/dist/index.html'))) throw new Error('renderer/dist is missing: run npx vite build --config renderer/vite.config.ts first');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-ui-'));
  const journal = join(dir, 'ui.db');
  const { runIds } = await seedJournal(journal);
  const { child, url } = await startServe(journal);
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const base = url.replace(/\?.*$/, '');
    const views: [string, string, ((p: Page) => Promise<void>)?][] = [
      ['journal', '#/runs'],
      ['journal-selected', '#/runs', async (p) => {
        const boxes = p.getByRole('checkbox');
        await boxes.nth(0).click();
        await boxes.nth(2).click({ modifiers: ['Shift'] });
      }],
      ['run-detail', `#/runs/${runIds[0]}`],
      ['run-detail-middle', `#/runs/${runIds[0]}`, async (p) => {
        await p.getByRole('heading', { name: 'Policy decision' }).scrollIntoViewIfNeeded();
      }],
      ['run-detail-lower', `#/runs/${runIds[0]}`, async (p) => {
        await p.locator('main').evaluate((m) => m.scrollTo(0, m.scrollHeight));
      }],
      ['compare', `#/compare?ids=${runIds.slice(0, 3).join(',')}`],
      ['compare-charts', `#/compare?ids=${runIds.slice(0, 3).join(',')}`, async (p) => {
        await p.locator('.uplot').first().waitFor();
        await p.locator('main').evaluate((m) => m.scrollTo(0, m.scrollHeight));
      }],
      ['compare-all-fields', `#/compare?ids=${runIds.slice(0, 2).join(',')}`, async (p) => {
        await p.getByLabel('Differences only').uncheck();
      }],
      ['compare-empty', '#/compare'],
      ['benchmarks', '#/benchmarks'],
      ['benchmark-history', '#/benchmarks/rx-throughput'],
      ['new-run', '#/new'],
      ['shortcuts', '#/runs', async (p) => {
        await p.keyboard.press('?');
      }],
      ['not-found', '#/nowhere'],
    ];
    for (const theme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: theme });
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`${theme}: page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`${theme}: console: ${m.text()}`);
      });
      // The first visit carries the token; the page keeps it and drops it from the address.
      await page.goto(`${url}#/runs`);
      await page.getByRole('row').nth(1).waitFor();
      if (page.url().includes('token=')) problems.push(`${theme}: the token is still in the address bar`);
      for (const [name, hash, before] of views) {
        await page.goto(`${base}${hash}`);
        await settle(page);
        if (before) await before(page);
        await settle(page);
        await page.screenshot({ path: join(OUT, `ui-${name}-${theme}.png`) });
      }
      await context.close();
    }
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exitCode = 1;
  }
  console.log(`screenshots in ${OUT}`);
}

await main();
