// The service in the desktop app: runs in an Electron utility process, so a
// slow query or a crash in native code never freezes or kills the window.
// Main hands over one MessagePort per peer (each page load, and main's own);
// each port gets the wire dispatcher until its other end goes away.
import type { MessageEvent as ElectronMessageEvent, MessagePortMain } from 'electron';
import { attachChannel, confineFiles, defaultJournalPath, Lab } from '../service/index.ts';

/**
 * Messages main sends: a port for a new peer (named for the log; `namesFiles`
 * only for main's own port, see attachPort), or the request to shut down.
 */
export type ToServiceHost = { type: 'attach'; peer: string; namesFiles: boolean } | { type: 'shutdown' };

/** Message the host sends main once the journal is open, or when it cannot be. */
export type ServiceHostStatus = { type: 'ready'; journalPath: string } | { type: 'failed'; message: string };

const parentPort = process.parentPort;
/** Next to this file in the bundle (electron/build.mjs writes out/electron/workers/jobs.worker.js). */
const BUNDLED_WORKER_URL = new URL('./workers/jobs.worker.js', import.meta.url);

/**
 * Main's own port may name files: main takes them from native dialogs the user
 * answered. A page's port may not (the page is untrusted web content): it
 * asks for a backup or a merge through the menu, whose dialog picks the file.
 */
function attachPort(lab: Lab, port: MessagePortMain, peer: string, namesFiles: boolean): void {
  const target = namesFiles ? lab : confineFiles(lab, { root: null, howToAllow: 'use the File menu, which asks where with a dialog' });
  attachChannel(target, {
    send: (message) => port.postMessage(message),
    onMessage: (handler) => port.on('message', (event) => handler(event.data)),
    onClose: (handler) =>
      port.on('close', () => {
        handler();
        console.info(`service: ${peer} disconnected`);
      }),
  });
  port.start();
}

function main(): void {
  let lab: Lab;
  let journalPath: string;
  try {
    // defaultJournalPath() honours IOMMU_LAB_JOURNAL, as the CLI does: both open the same journal.
    lab = Lab.open({ journalPath: defaultJournalPath(), workerUrl: BUNDLED_WORKER_URL });
    // The desktop app opens its journal at start, so a journal it cannot open is reported before the window shows.
    journalPath = lab.journal.path;
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: (err as Error).message } satisfies ServiceHostStatus);
    process.exit(1);
  }
  parentPort.postMessage({ type: 'ready', journalPath } satisfies ServiceHostStatus);

  // On quit main sends `shutdown`: close() cancels the runs in flight and closes the journal cleanly.
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    lab.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  parentPort.on('message', (event: ElectronMessageEvent) => {
    // Only main can write to parentPort, but the shape is still checked: a bad message is dropped, never thrown on.
    const message = event.data as { type?: unknown; peer?: unknown; namesFiles?: unknown } | null | undefined;
    if (message?.type === 'shutdown') return shutdown();
    const [port] = event.ports;
    if (message?.type !== 'attach' || port === undefined || closing) return;
    attachPort(lab, port, typeof message.peer === 'string' ? message.peer : 'peer', message.namesFiles === true);
  });
}

main();
