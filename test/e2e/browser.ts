// What the Chromium end-to-end tests share: where things are, whether they
// can run here, `iommu-lab serve` on a journal, and a headless Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const OUT = join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false. */
export const missing = !existsSync(join(ROOT, 'renderer/dist/index.html'))
  ? 'renderer/dist is not built (npx vite build --config renderer/vite.config.ts)'
  : !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install -y chromium)`
    : false;

/** `iommu-lab serve` on a journal (port 0 unless `args` name one); resolves with the child and the URL it prints (with its token). */
export async function startServe(journal: string, args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const port = args.includes('--port') ? [] : ['--port', '0'];
  const child = spawn(process.execPath, [join(ROOT, 'bin/iommu-lab.js'), 'serve', ...port, '--journal', journal, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Listening on (\S+)/.exec(out);
      if (m?.[1]) resolveUrl(m[1]);
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${err || out}`)));
  });
  return { child, url };
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });

/** A browser page on `iommu-lab serve` over a temporary journal. */
export interface LabSession {
  page: Page;
  /** The server's address without the token (the page keeps its session). */
  base: string;
  /** Uncaught errors the page threw. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Seeds a temporary journal (before the server opens it), serves it, and
 * opens it at `hash` in a 1280x800 Chromium page.
 */
export async function openLabSession(name: string, hash: string, seed: (journal: string) => Promise<void> = async () => {}): Promise<LabSession> {
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), `iommu-lab-e2e-${name}-`));
  let serve: ChildProcess | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    serve?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const journal = join(dir, 'e2e.db');
    await seed(journal);
    const started = await startServe(journal);
    serve = started.child;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${started.url}${hash}`);
    return { page, base: started.url.replace(/\?.*$/, ''), pageErrors, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Drops iperf3 fixture files onto the page's main area, as a user drags them from a file manager. */
export async function dropIperf3Fixtures(page: Page, names: readonly string[]): Promise<void> {
  const files = names.map((name) => ({ name, text: readFileSync(join(ROOT, 'test/fixtures/iperf3', name), 'utf8') }));
  const dt = await page.evaluateHandle((list) => {
    // Runs in the page: the DOM's DataTransfer, which this file's (Node) types do not declare.
    const dom = globalThis as unknown as { DataTransfer: new () => { items: { add(file: File): void } } };
    const transfer = new dom.DataTransfer();
    for (const f of list) transfer.items.add(new File([f.text], f.name, { type: 'application/json' }));
    return transfer;
  }, files);
  await page.dispatchEvent('main', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
}
