// The page's connection to `serve` across restarts, in Debian Chromium: a
// server restarted with the same --token-file is reconnected to, and the
// page's actions then work; a server restarted with a fresh token is named as
// refusing the page's token, with how to reopen the lab, and an action taken
// then fails at once with that reason instead of waiting. Screenshots go to
// test-artifacts/. Waits on what the page shows, never on fixed delays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, missing, OUT, startServe } from './browser.ts';

describe('connection across server restarts', { skip: missing, timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-e2e-connection-'));
  const journal = join(dir, 'e2e.db');
  const tokenFile = join(dir, 'token');
  let serve: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let port = '';
  let firstUrl = '';

  const stop = async (): Promise<void> => {
    if (!serve || serve.exitCode !== null) return;
    const exited = once(serve, 'exit');
    serve.kill('SIGTERM');
    await exited;
  };
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-connection-${name}.png`) });
  const banner = () => page.locator('main .banner');

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const started = await startServe(journal, ['--token-file', tokenFile]);
    serve = started.child;
    firstUrl = started.url;
    port = new URL(firstUrl).port;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${firstUrl}#/runs`);
    await page.locator('header .journal code').waitFor();
  });

  after(async () => {
    await browser?.close();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says it is retrying while the server is down, and reconnects to a restart with the same token file', async () => {
    await stop();
    await banner().filter({ hasText: 'Disconnected from the service' }).waitFor();
    assert.match(await banner().innerText(), /Retrying; what you do now waits and is sent once the connection is back/);
    const restarted = await startServe(journal, ['--port', port, '--token-file', tokenFile]);
    serve = restarted.child;
    assert.equal(restarted.url, firstUrl, 'the token file keeps the address');
    await banner().waitFor({ state: 'detached', timeout: 30_000 });
    // The connection carries calls again: the new-run page loads its presets through it.
    await page.goto(`${new URL(firstUrl).origin}/#/new`);
    await page.getByLabel('Preset').locator('option', { hasText: /seed/i }).first().waitFor({ state: 'attached' });
    await shot('reconnected');
  });

  it('names a refused token after a restart with a fresh one, says how to reopen, and fails actions at once', async () => {
    await page.goto(`${new URL(firstUrl).origin}/#/runs`);
    await page.locator('header .journal code').waitFor();
    await stop();
    const fresh = await startServe(journal, ['--port', port]);
    serve = fresh.child;
    assert.notEqual(fresh.url, firstUrl, 'without --token-file each start has a fresh token');
    const refused = banner().filter({ hasText: 'refuses this page' });
    await refused.waitFor({ timeout: 30_000 });
    const text = await refused.innerText();
    assert.match(text, /Not connected: the service refuses this page's token: it was restarted with a new token, or the address is wrong\./);
    assert.match(text, /Nothing you do on this page is sent/);
    assert.match(text, /iommu-lab serve --token-file PATH/);
    await shot('token-refused');
    // An action now fails with the reason rather than waiting for a connection that cannot come back.
    await page.goto(`${new URL(firstUrl).origin}/#/runs/00000000-0000-4000-8000-000000000000`);
    await page.getByText(/was not sent: the service refuses this page's token/).first().waitFor({ timeout: 10_000 });
    await shot('action-not-sent');
    // Reopening with the address the new server printed works.
    await page.goto(`${fresh.url}#/runs`);
    await page.locator('header .journal code').waitFor();
    assert.equal(await banner().count(), 0);
  });
});
