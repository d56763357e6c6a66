// The one place the CLI gets its client of the service. Commands talk to the
// service only through protocol methods, with the protocol's one client over
// the in-process transport. The service, and with it the SQLite driver, zod
// and the simulation core, is imported when a command runs, never at
// start-up: `--help` and argv errors load none of it. The service itself opens
// the journal and starts workers only for methods that need them.
import type { Command } from 'commander';
import { loadService } from './service-module.ts';
import type { Lab, LabClient } from '../service/index.ts';

export type Client = Pick<LabClient, 'call' | 'on'>;

export interface JournalOpts {
  journal?: string;
}

export function journalOption(cmd: Command): Command {
  return cmd.option('--journal <path>', 'journal file (default: $IOMMU_LAB_JOURNAL, else the user data directory)');
}

/**
 * The compiled command's worker entry, which scripts/build-cli.mjs writes beside
 * the chunks; run from the TypeScript sources, the service's own default applies.
 */
export function compiledWorkerUrl(): URL | undefined {
  return import.meta.url.endsWith('.ts') ? undefined : new URL('./workers/jobs.worker.js', import.meta.url);
}

/** The service on a journal, for hosts that need more than a client (serve). Close it after. */
export async function openLab(journalPath?: string, opts: { redisUrl?: string | undefined } = {}): Promise<Lab> {
  const { Lab, defaultJournalPath } = await loadService();
  const workerUrl = compiledWorkerUrl();
  return Lab.open({
    journalPath: journalPath ?? defaultJournalPath(),
    ...(workerUrl ? { workerUrl } : {}),
    ...(opts.redisUrl === undefined ? {} : { redisUrl: opts.redisUrl }),
    onNotice: (message) => process.stderr.write(`iommu-lab: ${message}\n`),
  });
}

/** Says on stderr when writes wait for another process's write lock, and when they went through. */
function reportBusyJournal(client: Client): () => void {
  return client.on('journal.busy', ({ path, busy, pendingWrites, waitedMs, holderPid, released }) => {
    if (busy) process.stderr.write(`\niommu-lab: journal busy: ${holderPid === null ? 'another process' : `another process (pid ${holderPid})`} is writing ${path}; ${pendingWrites} write${pendingWrites === 1 ? '' : 's'} waiting for it\n`);
    // A write that gave up says so itself (its error follows).
    else if (released) process.stderr.write(`iommu-lab: journal free again after ${(waitedMs / 1000).toFixed(1)} s; the waiting writes are done\n`);
  });
}

async function withOpened<T>(lab: Lab, fn: (client: Client) => Promise<T> | T): Promise<T> {
  const { LabClient, inProcessTransport } = await loadService();
  const client = new LabClient(inProcessTransport(lab));
  reportBusyJournal(client);
  try {
    return await fn(client);
  } finally {
    client.close();
    await lab.close();
  }
}

/** A client on the chosen journal for the length of `fn`; workers and journal are closed after. */
export async function withClient<T>(opts: JournalOpts & { redis?: string | undefined }, fn: (client: Client) => Promise<T> | T): Promise<T> {
  return withOpened(await openLab(opts.journal, { redisUrl: opts.redis }), fn);
}

/**
 * A client that never touches a journal file (`start`: built-in costs only):
 * the service gets an in-memory journal, so even a method that would open the
 * journal opens, creates and writes nothing on disk.
 */
export async function withJournalFreeClient<T>(fn: (client: Client) => Promise<T> | T): Promise<T> {
  return withOpened(await openLab(':memory:'), fn);
}

/** The fields at fault when a call failed on bad input (the contract's error shape, whatever the transport). */
export function invalidFields(err: unknown): { path: string; message: string }[] | undefined {
  const e = err as { code?: unknown; fields?: unknown };
  return e && e.code === 'invalid' && Array.isArray(e.fields) ? (e.fields as { path: string; message: string }[]) : undefined;
}
