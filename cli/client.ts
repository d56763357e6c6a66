// The one place the CLI gets its client of the service. Commands talk to the
// service only through contract methods (LabApi), here in process. The
// service, and with it the SQLite driver, zod and the simulation core, is
// imported when a command runs, never at start-up: `--help` and argv errors
// load none of it.
import type { Command } from 'commander';
import { loadService } from './service-module.ts';
import type { Lab, LabApi } from '../service/index.ts';

export type Client = LabApi;

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
function compiledWorkerUrl(): URL | undefined {
  return import.meta.url.endsWith('.ts') ? undefined : new URL('./workers/jobs.worker.js', import.meta.url);
}

/** The service on a journal, for hosts that need more than a client (serve). Close it after. */
export async function openLab(journalPath?: string): Promise<Lab> {
  const { Lab, defaultJournalPath } = await loadService();
  const workerUrl = compiledWorkerUrl();
  return Lab.open({ journalPath: journalPath ?? defaultJournalPath(), ...(workerUrl ? { workerUrl } : {}) });
}

async function withOpened<T>(lab: Lab, fn: (client: Client) => Promise<T> | T): Promise<T> {
  try {
    return await fn(lab);
  } finally {
    await lab.close();
  }
}

/** A client on the chosen journal for the length of `fn`; workers and journal are closed after. */
export async function withClient<T>(opts: JournalOpts, fn: (client: Client) => Promise<T> | T): Promise<T> {
  return withOpened(await openLab(opts.journal), fn);
}

/**
 * A client for methods that read no journal (policy.resolve, presets.list).
 * The service cannot be made without a journal yet, so it gets an in-memory
 * one: nothing on disk is opened, created or written.
 */
export async function withJournalFreeClient<T>(fn: (client: Client) => Promise<T> | T): Promise<T> {
  return withOpened(await openLab(':memory:'), fn);
}

/** The fields at fault when a call failed on bad input (the contract's error shape, whatever the transport). */
export function invalidFields(err: unknown): { path: string; message: string }[] | undefined {
  const e = err as { code?: unknown; fields?: unknown };
  return e && e.code === 'invalid' && Array.isArray(e.fields) ? (e.fields as { path: string; message: string }[]) : undefined;
}
