// Desktop shell: one window showing the built renderer from app://, the
// service in a utility process reached over MessagePorts, native menus and
// dialogs. The page is treated as untrusted web content: isolated, sandboxed,
// no Node, no navigation away, no new windows, no permissions.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  Menu,
  MessageChannelMain,
  nativeTheme,
  protocol,
  screen,
  session,
  shell,
  utilityProcess,
  type MessagePortMain,
  type Rectangle,
  type UtilityProcess,
  type WebContents,
} from 'electron';
import { contentTypeFor, isHtml, rendererCsp, resolveStaticPath } from '../service/transport/static-files.ts';
import { LabClient, readDownload, type Transport } from '../service/protocol/index.ts';
import type { IpcChannel, MenuCommand } from './bridge.ts';
import { menuTemplate } from './menu.ts';
import type { ServiceHostStatus, ToServiceHost } from './service-host.ts';

const APP_SCHEME = 'app';
const APP_HOST = 'lab';
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
const START_URL = `${APP_ORIGIN}/index.html`;
/** The page reaches the service over a MessagePort, never the network: connect-src is 'self' only. */
const CSP = rendererCsp();
const SERVICE_PORT_CHANNEL: IpcChannel = 'service-port';
const MENU_CHANNEL: IpcChannel = 'menu';

// Bundled layout (electron/build.mjs): out/electron/{main.js, preload.cjs, service-host.js}, renderer/dist beside out/.
const here = dirname(fileURLToPath(import.meta.url));
const RENDERER_DIST = resolve(here, '../../renderer/dist');
const PRELOAD_PATH = join(here, 'preload.cjs');
const SERVICE_HOST_PATH = join(here, 'service-host.js');

// Must run before `ready`: app:// behaves like https (standard origin, secure context, fetch).
// corsEnabled: Vite marks its module script and stylesheet crossorigin, which a custom scheme must allow.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);

let mainWindow: BrowserWindow | null = null;
let serviceHost: UtilityProcess | null = null;
let quitting = false;
/** `measurements.import` refuses more than this per file; checked before reading a file into memory. */
const MAX_IMPORT_BYTES = 50 * 2 ** 20;

// ---- app:// protocol: the built renderer, nothing else ----

function notBuiltPage(): Response {
  const html = `<!doctype html><meta charset="utf-8"><title>IOMMU Lab</title><h1>IOMMU Lab</h1><p>The user interface is not built. Run <code>npm run build</code>, then View &gt; Reload.</p>`;
  return new Response(html, { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP } });
}

async function serveAppUrl(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST || request.method !== 'GET') return new Response('not found', { status: 404 });
  const resolved = resolveStaticPath(RENDERER_DIST, url.pathname);
  if (!resolved.ok) return new Response(resolved.reason, { status: resolved.reason === 'outside' ? 403 : 400 });
  try {
    if (!(await stat(resolved.path)).isFile()) return new Response('not found', { status: 404 });
    const body = await readFile(resolved.path);
    const headers: Record<string, string> = { 'Content-Type': contentTypeFor(resolved.path), 'X-Content-Type-Options': 'nosniff' };
    if (isHtml(resolved.path)) {
      headers['Content-Security-Policy'] = CSP;
      headers['Cache-Control'] = 'no-store';
    }
    return new Response(body, { status: 200, headers });
  } catch {
    return resolved.path === join(RENDERER_DIST, 'index.html') ? notBuiltPage() : new Response('not found', { status: 404 });
  }
}

// ---- window state: size, position, maximized; restored onto a display that still exists ----

interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

const DEFAULT_STATE: WindowState = { width: 1280, height: 820, maximized: false };
const MIN_SIZE = { width: 800, height: 560 };
const windowStatePath = (): string => join(app.getPath('userData'), 'window-state.json');

function loadWindowState(): WindowState {
  let saved: Partial<WindowState>;
  try {
    saved = JSON.parse(readFileSync(windowStatePath(), 'utf8')) as Partial<WindowState>;
  } catch {
    return DEFAULT_STATE;
  }
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!num(saved.width) || !num(saved.height)) return DEFAULT_STATE;
  const state: WindowState = { width: saved.width, height: saved.height, maximized: saved.maximized === true };
  if (num(saved.x) && num(saved.y)) {
    state.x = saved.x;
    state.y = saved.y;
  }
  return clampToDisplay(state);
}

/** Keeps the window on a display that exists now (monitors come and go between sessions). */
function clampToDisplay(state: WindowState): WindowState {
  const probe: Rectangle = { x: state.x ?? 0, y: state.y ?? 0, width: state.width, height: state.height };
  const area = (state.x === undefined ? screen.getPrimaryDisplay() : screen.getDisplayMatching(probe)).workArea;
  const width = Math.max(MIN_SIZE.width, Math.min(state.width, area.width));
  const height = Math.max(MIN_SIZE.height, Math.min(state.height, area.height));
  if (state.x === undefined || state.y === undefined) return { width, height, maximized: state.maximized };
  const x = Math.min(Math.max(state.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(state.y, area.y), area.y + area.height - height);
  return { x, y, width, height, maximized: state.maximized };
}

function saveWindowState(win: BrowserWindow): void {
  const bounds = win.getNormalBounds();
  const state: WindowState = { ...bounds, maximized: win.isMaximized() };
  try {
    mkdirSync(dirname(windowStatePath()), { recursive: true });
    writeFileSync(windowStatePath(), JSON.stringify(state));
  } catch (err) {
    // Losing the window position is not worth failing a quit over.
    console.warn(`could not save the window state: ${(err as Error).message}`);
  }
}

// ---- the service: a utility process; one MessagePort per page load, one for main ----

/**
 * Main's own transport to the service, for what the shell shows and writes
 * itself (About, export, backup): the protocol's client over a MessagePortMain.
 * A restarted service hands over a new port; calls made meanwhile wait for it.
 */
function mainPortTransport(): Transport & { connect(port: MessagePortMain): void } {
  let handlers: Parameters<Transport['start']>[0] | null = null;
  let port: MessagePortMain | null = null;
  return {
    start: (h) => {
      handlers = h;
    },
    connect: (p) => {
      port = p;
      p.on('message', (event) => handlers?.message(event.data));
      p.on('close', () => {
        if (port === p) port = null;
        handlers?.close('the service stopped');
      });
      p.start();
      handlers?.open();
    },
    send: (msg) => {
      if (!port) throw new Error('the service is not running');
      port.postMessage(msg);
    },
    stop: () => {
      port?.close();
      port = null;
    },
  };
}

const mainTransport = mainPortTransport();
const mainClient = new LabClient(mainTransport);

function sendToServiceHost(message: ToServiceHost, ports: MessagePortMain[] = []): void {
  serviceHost?.postMessage(message, ports);
}

function startServiceHost(): void {
  const child = utilityProcess.fork(SERVICE_HOST_PATH, [], { serviceName: 'IOMMU Lab service', stdio: 'inherit' });
  serviceHost = child;
  child.on('message', (message: ServiceHostStatus) => {
    if (message.type === 'failed') dialog.showErrorBox('IOMMU Lab: the journal cannot be opened', message.message);
  });
  child.on('exit', (code) => {
    if (serviceHost === child) serviceHost = null;
    if (quitting) return;
    // The window cannot work without its service: say why and quit rather than show a dead UI.
    dialog.showErrorBox('IOMMU Lab: the service stopped', `The service process exited with code ${code}. The journal keeps every finished run; restart IOMMU Lab to continue.`);
    app.quit();
  });
  const { port1, port2 } = new MessageChannelMain();
  // Only main's own port may name files: main takes them from native dialogs.
  sendToServiceHost({ type: 'attach', peer: 'main', namesFiles: true }, [port1]);
  mainTransport.connect(port2);
}

/** A fresh channel for each page load: a reload's old port closes and the service detaches it. */
function handServicePortTo(contents: WebContents): void {
  const { port1, port2 } = new MessageChannelMain();
  sendToServiceHost({ type: 'attach', peer: `window ${contents.id}`, namesFiles: false }, [port1]);
  contents.postMessage(SERVICE_PORT_CHANNEL, null, [port2]);
}

// ---- menus and dialogs ----

function sendMenuCommand(command: MenuCommand): void {
  mainWindow?.webContents.send(MENU_CHANNEL, command);
}

async function importResults(): Promise<void> {
  if (!mainWindow) return;
  const picked = await dialog.showOpenDialog(mainWindow, {
    title: 'Import iperf3 -J or fio JSON results',
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: 'iperf3 or fio JSON', extensions: ['json'] }, { name: 'All files', extensions: ['*'] }],
  });
  if (picked.canceled || picked.filePaths.length === 0) return;
  const files: { fileName: string; text: string }[] = [];
  for (const path of picked.filePaths) {
    if ((await stat(path)).size > MAX_IMPORT_BYTES) throw new Error(`${basename(path)} is larger than 50 MiB: not the output of a single iperf3 or fio run`);
    files.push({ fileName: basename(path), text: await readFile(path, 'utf8') });
  }
  // The page tells the tools apart as it does for dropped files, asks which benchmark they join, then imports each.
  sendMenuCommand({ kind: 'import', files });
}

/** Offers to reveal a file the shell just wrote. */
async function reportWritten(title: string, message: string, path: string): Promise<void> {
  if (!mainWindow) return;
  const { response } = await dialog.showMessageBox(mainWindow, { type: 'info', title, message, detail: path, buttons: ['OK', 'Show in Folder'], defaultId: 0, cancelId: 0 });
  if (response === 1) shell.showItemInFolder(path);
}

async function exportRuns(): Promise<void> {
  if (!mainWindow) return;
  const picked = await dialog.showSaveDialog(mainWindow, {
    title: 'Export runs',
    defaultPath: 'iommu-lab-runs.csv',
    filters: [{ name: 'CSV', extensions: ['csv'] }, { name: 'JSON', extensions: ['json'] }],
  });
  if (picked.canceled || !picked.filePath) return;
  const format = picked.filePath.toLowerCase().endsWith('.json') ? 'json' : 'csv';
  // Piece by piece into the file (an export of a large journal is gigabytes); the service keeps answering the page meanwhile.
  const exported = await mainClient.call('runs.export', { format, download: true });
  const file = await open(picked.filePath, 'w', 0o600); // run data is the user's alone
  try {
    await readDownload(mainClient, (exported.download as { id: string }).id, async (text) => void (await file.write(text)));
  } finally {
    await file.close();
  }
  await reportWritten('Export runs', `Exported ${exported.runs} run${exported.runs === 1 ? '' : 's'} as ${format.toUpperCase()}.`, picked.filePath);
}

async function backupJournal(): Promise<void> {
  if (!mainWindow) return;
  const stamp = new Date().toISOString().slice(0, 10);
  const picked = await dialog.showSaveDialog(mainWindow, {
    title: 'Back up the journal',
    defaultPath: `iommu-lab-journal-${stamp}.sqlite`,
    filters: [{ name: 'SQLite journal', extensions: ['sqlite', 'db'] }],
  });
  if (picked.canceled || !picked.filePath) return;
  // The service writes a consistent copy and refuses to overwrite: its error says so.
  const { path } = await mainClient.call('journal.backup', { path: picked.filePath });
  await reportWritten('Backup journal', 'The journal was backed up.', path);
}

/** The user picks the other journal in a native dialog; only main's port may name files (the page's may not). */
async function mergeJournal(): Promise<void> {
  if (!mainWindow) return;
  const picked = await dialog.showOpenDialog(mainWindow, {
    title: 'Merge another journal into this one',
    properties: ['openFile'],
    filters: [{ name: 'SQLite journal', extensions: ['sqlite', 'db'] }, { name: 'All files', extensions: ['*'] }],
  });
  const path = picked.filePaths[0];
  if (picked.canceled || path === undefined) return;
  const report = await mainClient.call('journal.merge', { path });
  const options = {
    type: 'info' as const,
    title: 'Merge journal',
    message: `Added ${report.runsAdded} run${report.runsAdded === 1 ? '' : 's'} (${report.runsAlreadyPresent} already here, ${report.runsSkippedActive} still active there).`,
    detail: path,
  };
  await dialog.showMessageBox(mainWindow, options);
}

async function showAbout(): Promise<void> {
  let journalLine = 'Journal: not available';
  try {
    const info = await mainClient.call('journal.info', {});
    journalLine = `Journal: ${info.path}\nRuns: ${info.runs}\nSchema version: ${info.schemaVersion}\nModel version: ${info.modelVersion}`;
  } catch (err) {
    journalLine = `Journal: ${(err as Error).message}`;
  }
  const options = {
    type: 'info' as const,
    title: 'About IOMMU Lab',
    message: `IOMMU Lab ${app.getVersion()}`,
    detail: `Strict vs lazy IOTLB invalidation under a virtual VT-d IOMMU.\n\n${journalLine}\n\nElectron ${process.versions.electron}, Node ${process.versions.node}`,
  };
  await (mainWindow ? dialog.showMessageBox(mainWindow, options) : dialog.showMessageBox(options));
}

function buildMenu(): Menu {
  const run = (action: () => Promise<void>) => () => {
    action().catch((err: unknown) => dialog.showErrorBox('IOMMU Lab', (err as Error).message));
  };
  // One list of commands behind the menu and the page's keys (electron/menu.ts).
  const template = menuTemplate(
    {
      send: (id) => sendMenuCommand({ kind: 'command', id }),
      shell: { 'import-results': run(importResults), 'export-runs': run(exportRuns), 'backup-journal': run(backupJournal), 'merge-journal': run(mergeJournal), about: run(showAbout) },
    },
    { isMac: process.platform === 'darwin', isPackaged: app.isPackaged },
  );
  return Menu.buildFromTemplate(template);
}

// ---- IPC from the page ----
// None: the page reaches the service over its MessagePort and the shell only
// sends to the page. A handler added later must first check that
// event.sender is mainWindow.webContents and event.senderFrame.url starts
// with APP_ORIGIN (the invariants test enforces it).

// ---- hardening for every web contents, present and future ----

function harden(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow(): BrowserWindow {
  const state = loadWindowState();
  const win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: 'IOMMU Lab',
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff',
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.webContents.on('did-finish-load', () => handServicePortTo(win.webContents));
  win.on('close', () => saveWindowState(win));
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(START_URL);
  return win;
}

// ---- lifecycle ----

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the journal and the window; it focuses itself (below).
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });

  app.on('web-contents-created', (_event, contents) => harden(contents));

  app.whenReady().then(() => {
    // No camera, notifications, clipboard reads, ...: the lab needs none.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    protocol.handle(APP_SCHEME, serveAppUrl);
    Menu.setApplicationMenu(buildMenu());
    startServiceHost();
    mainWindow = createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
    });
  }).catch((err: unknown) => {
    dialog.showErrorBox('IOMMU Lab could not start', (err as Error).stack ?? String(err));
    app.exit(1);
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Quit waits for the service to cancel runs in flight and close the journal (a few seconds at most).
  app.on('before-quit', (event) => {
    const host = serviceHost;
    if (!host) {
      quitting = true;
      return;
    }
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    host.once('exit', () => app.quit());
    setTimeout(() => host.kill(), 5000).unref();
    sendToServiceHost({ type: 'shutdown' });
  });
}
