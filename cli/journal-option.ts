// --journal PATH on every command that reads or writes the journal, and the
// one place the CLI opens the service on it.
import type { Command } from 'commander';
import { defaultJournalPath, Lab } from '../service/index.ts';

export interface JournalOpts {
  journal?: string;
}

export function journalOption(cmd: Command): Command {
  return cmd.option('--journal <path>', 'journal file (default: $IOMMU_LAB_JOURNAL, else the user data directory)');
}

/** Opens the service on the chosen journal for the length of `fn`; workers and journal are closed after. */
export async function withLab<T>(opts: JournalOpts, fn: (lab: Lab) => Promise<T> | T): Promise<T> {
  const lab = Lab.open({ journalPath: opts.journal ?? defaultJournalPath() });
  try {
    return await fn(lab);
  } finally {
    await lab.close();
  }
}
