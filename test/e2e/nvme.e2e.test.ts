// NVMe end to end, in Debian Chromium against `iommu-lab serve`: the real fio
// fixture (test/fixtures/fio/randread.json) imported into a benchmark on
// readIops, and simulated fio runs (nvme-virtio-iommu, short) added to the
// same benchmark. The history shows both sources, the simulated run's page
// shows IOPS, percentiles and the completion latency histogram instead of the
// NIC's cards, the measured run's page the same figures from fio. Needs a built
// renderer (npx vite build --config renderer/vite.config.ts) and
// /usr/bin/chromium; saves test-artifacts/nvme-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { missing, openLabSession, OUT, ROOT, type LabSession } from './browser.ts';

const BENCHMARK = 'nvme randread';
const SIMULATED = 3;

async function seed(journal: string): Promise<{ measured: string; simulated: string[] }> {
  const lab = Lab.open({ journalPath: journal, workers: 2 });
  try {
    await lab.call('benchmarks.create', { name: BENCHMARK, metric: 'readIops', higherIsBetter: true, description: 'fio 4 KiB random read, measured and simulated' });
    const text = readFileSync(join(ROOT, 'test/fixtures/fio/randread.json'), 'utf8');
    const imported = await lab.call('measurements.import', { tool: 'fio', text, benchmark: BENCHMARK, fileName: 'randread.json' });
    const { runIds } = await lab.call('runs.start', { source: { preset: 'nvme-virtio-iommu', overrides: ['durationMs=12', 'warmupMs=2'] }, seeds: SIMULATED, tags: ['nvme'] });
    const ended = await lab.call('runs.wait', { ids: runIds });
    assert.deepEqual(ended.filter((r) => r.status !== 'done').map((r) => `${r.name}: ${r.status} ${r.error ?? ''}`), []);
    for (const runId of runIds) await lab.call('benchmarks.addRun', { benchmark: BENCHMARK, runId });
    return { measured: imported.runId, simulated: runIds };
  } finally {
    await lab.close();
  }
}

describe('NVMe end to end: measured and simulated fio in one history', { skip: missing, timeout: 300_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;
  let base = '';
  let runs = { measured: '', simulated: [] as string[] };
  let pageErrors: string[] = [];

  before(async () => {
    session = await openLabSession('nvme', `#/benchmarks/${encodeURIComponent(BENCHMARK)}`, async (journal) => {
      runs = await seed(journal);
    });
    ({ page, base, pageErrors } = session);
  });

  after(() => session?.close());

  /** The page scrolls inside <main>: grow the window to its height for a whole-page screenshot. */
  async function shot(name: string): Promise<void> {
    const height = await page.locator('main').evaluate((m) => m.scrollHeight + 40);
    await page.setViewportSize({ width: 1280, height: Math.max(800, Math.min(height, 3000)) });
    await page.screenshot({ path: join(OUT, `nvme-${name}.png`) });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('shows the imported fio point and the simulated points in one history, each with its source', async () => {
    const points = page.getByRole('table', { name: 'Points' });
    await points.waitFor();
    const rows = points.locator('tbody tr:not(.shift-row)');
    await page.waitForFunction(`document.querySelectorAll('table[aria-label="Points"] tbody tr:not(.shift-row)').length === ${1 + SIMULATED}`);
    const sources = (await rows.locator('td .tag').allInnerTexts()).map((s) => s.trim()).sort();
    assert.deepEqual(sources, ['fio', ...Array(SIMULATED).fill('simulated')]);
    // The fixture's 12.3k read IOPS beside the simulated points' own values.
    const measuredRow = rows.filter({ has: page.locator(`a[href$="${runs.measured}"]`) });
    assert.match(await measuredRow.innerText(), /12[.,]3\s*k|12,310|12310/);
    await page.locator('.uplot').first().waitFor();
    await shot('history');
  });

  it('shows a simulated NVMe run with IOPS, latency percentiles and the histogram, not the NIC cards', async () => {
    await page.goto(`${base}#/runs/${runs.simulated[0]}`);
    const panel = page.getByRole('region', { name: 'Storage metrics' });
    await panel.waitFor();
    assert.match(await panel.locator('[data-storage="readIops"]').innerText(), /Read IOPS\s+[\d.]+[kM]?/);
    assert.match(await panel.locator('tr[data-clat="read"]').innerText(), /µs/);
    const bars = await panel.getByRole('img', { name: 'Completion latency histogram' }).locator('rect.bar').count();
    assert.ok(bars >= 3, `a histogram of several buckets, got ${bars}`);
    const cards = await page.getByRole('region', { name: 'Metrics', exact: true }).innerText();
    assert.doesNotMatch(cards, /Throughput|Packets/);
    await shot('simulated-run');
  });

  it('shows the imported fio run from its metrics', async () => {
    await page.goto(`${base}#/runs/${runs.measured}`);
    const panel = page.getByRole('region', { name: 'Storage metrics' });
    await panel.waitFor();
    assert.match(await panel.locator('[data-storage="readIops"]').innerText(), /12\.3k/);
    assert.match(await panel.locator('tr[data-clat="read"]').innerText(), /µs/);
    await shot('measured-run');
  });

  it('lists fio runs in the journal with IOPS and p99 columns once chosen, measured and simulated alike, and keeps the choice', async () => {
    await page.goto(`${base}#/`);
    const row = (id: string) => page.locator('.row').filter({ has: page.locator(`a[href$="${id}"]`) });
    await row(runs.measured).waitFor();
    // The NIC's key metrics by default: the fio import shows its own values across them.
    assert.match(await row(runs.measured).locator('.cell.measured').innerText(), /Read IOPS 12[.,]3\s*k/);
    await page.locator('.chooser summary').click();
    const metrics = page.getByRole('group', { name: 'Metric columns' });
    await metrics.getByLabel('Read IOPS (IOPS)').check();
    await metrics.getByLabel('Read completion latency p99 (µs)').check();
    await page.locator('.chooser summary').click();
    const header = page.locator('.row.head [data-column="readIops"]');
    await header.waitFor();
    assert.match(await page.locator('.row.head [data-column="readClatP99Us"]').innerText(), /Read clat p99\s*µs/);
    // Scrolled into view, and each run's value in it: the import's own and the simulated runs'.
    const cells = async (id: string) => row(id).locator('.cell.metric').allInnerTexts();
    await page.locator('.row .cell.metric').first().waitFor();
    const measured = await cells(runs.measured);
    assert.equal(measured.length, 6, 'the four key metrics and the two chosen ones');
    assert.match(measured[4]!, /^12[.,]3\s*k$/);
    assert.match(measured[5]!, /^[\d.,]+\s*k?$/);
    const simulated = await cells(runs.simulated[0]!);
    assert.match(simulated[4]!, /^[\d.]+\s*[kM]?$/);
    assert.notEqual(simulated[4], '–');
    assert.ok(await header.isVisible());
    await shot('journal-fio-columns');
    // Sorted by IOPS (a metric column sorts highest first): the import's 12.3k, below every simulated run, comes last.
    await header.getByRole('button').click();
    await page.locator('.row.head [data-column="readIops"][aria-sort="descending"]').waitFor();
    await page.locator(`.row[aria-rowindex="${2 + SIMULATED}"] a[href$="${runs.measured}"]`).waitFor();
    // Kept across a reload.
    await page.reload();
    await page.locator('.row.head [data-column="readIops"]').waitFor();
  });

  it('offers a drive\'s and fio\'s fields in the New-run form for an NVMe preset, a NIC\'s for a NIC one', async () => {
    await page.goto(`${base}#/new`);
    await page.getByLabel('Preset').selectOption('nvme-bare-metal');
    const field = (path: string) => page.locator(`#field-${path.replaceAll('.', '-')}`);
    await field('device.drives').waitFor();
    assert.equal(await field('device.drives').inputValue(), '8');
    assert.equal(await field('workload.iodepth').inputValue(), '32');
    assert.equal(await field('device.mtu').count(), 0, 'no MTU for a drive');
    assert.equal(await field('workload.streams').count(), 0, 'no iperf streams under fio');
    await shot('new-run');
    await page.getByLabel('Preset').selectOption('seed-after-fix');
    await field('device.mtu').waitFor();
    assert.equal(await field('device.drives').count(), 0, 'no drives for a NIC');
  });

  it('raised no page errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
