// The sweep form on a service with a Redis, in Debian Chromium: it offers
// "Run on: this machine / workers on <redis> (N compatible online)" and a
// small sweep started there runs on a real `iommu-lab worker` (every run's job
// completes on the queue); a service without Redis never shows the choice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { startRedis, type TestRedis } from '../fixtures/redis-server.ts';
import { launchChromium, missing, OUT, ROOT, startServe } from './browser.ts';

const noRedis = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is missing (apt-get install -y redis-server)';
const PASSWORD = 'e2e-secret-pass';
const QUEUE = 'iommu-lab-simulate';

describe('sweep form on workers', { skip: missing || noRedis, timeout: 180_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let serve: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url = '';
  const pageErrors: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iommu-lab-e2e-workers-'));
    redis = await startRedis(PASSWORD);
    // The worker never opens a journal: the one named in its environment must stay unwritten.
    worker = spawn(process.execPath, [join(ROOT, 'bin/iommu-lab.js'), 'worker', '--redis', redis.url, '--concurrency', '1', '--name', 'e2e-worker'], {
      env: { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'worker-must-not-write.db') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      worker?.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('taking jobs')) resolve();
      });
      worker?.once('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
    });
    const started = await startServe(join(dir, 'coordinator.db'), ['--redis', redis.url]);
    serve = started.child;
    url = started.url;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    serve?.kill('SIGTERM');
    worker?.kill('SIGTERM');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-workers-${name}.png`) });

  it('offers the workers of the service\'s Redis, masked, with how many are online', async () => {
    await page.goto(`${url}#/new`);
    await page.getByLabel('MTU').waitFor();
    await page.getByLabel('Sweep').check();
    const runOn = page.getByRole('group', { name: 'Run on' });
    await runOn.waitFor();
    const text = (await runOn.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /this machine/);
    assert.match(text, /workers on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? \(1 compatible online\)/, text);
    assert.ok(!(await page.content()).includes(PASSWORD), 'the password never reaches the page');
    assert.equal(await runOn.getByLabel('this machine').isChecked(), true, 'this machine by default');
  });

  it('runs a small sweep from the form on the worker', async () => {
    const events = new QueueEvents(QUEUE, { connection: { host: '127.0.0.1', port: redis.port, password: PASSWORD } });
    const completed = new Set<string>();
    events.on('completed', ({ jobId }) => completed.add(jobId));
    await events.waitUntilReady();
    try {
      await page.getByLabel('Duration (ms)').fill('20');
      await page.getByLabel('Warmup (ms)').fill('2');
      await page.getByLabel('Sweep name').fill('on the worker');
      await page.getByLabel('Seeds').fill('3');
      await page.getByRole('group', { name: 'Run on' }).getByRole('radio', { name: /workers on/ }).check();
      await page.getByText(/1 point x 3 seeds = 3 runs/).waitFor();
      await page.locator('button:not([disabled])', { hasText: /^\s*Start sweep\s*$/ }).click();
      const status = page.getByRole('status', { name: 'Progress of the last start' });
      await status.getByText('Sweep on the workers done').waitFor({ timeout: 120_000 });
      await shot('done');
      const href = (await status.getByRole('link').getAttribute('href')) ?? '';
      const runIds = decodeURIComponent(/ids=([^&]+)/.exec(href)?.[1] ?? '').split(',');
      assert.equal(runIds.length, 3);
      // Each run's job (its id is the run id) completed on the queue: the worker ran it, not this machine.
      for (let i = 0; i < 50 && runIds.some((id) => !completed.has(id)); i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(runIds.filter((id) => !completed.has(id)), [], `jobs completed: ${[...completed].join(', ')}`);
      assert.deepEqual(pageErrors, []);
    } finally {
      await events.close();
    }
  });

  it('shows no choice on a service without Redis', async () => {
    const plain = await startServe(join(dir, 'plain.db'));
    try {
      await page.goto(`${plain.url}#/new`);
      await page.getByLabel('MTU').waitFor();
      await page.getByLabel('Sweep').check();
      await page.getByText(/point x/).first().waitFor();
      assert.equal(await page.getByRole('group', { name: 'Run on' }).count(), 0);
    } finally {
      plain.child.kill('SIGTERM');
    }
  });
});
