// Where the journal lives when the user does not say.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import envPaths from 'env-paths';

/** $IOMMU_LAB_JOURNAL, else the per-user data directory (XDG on Linux); the directory is created, for this user only. */
export function defaultJournalPath(): string {
  const fromEnv = process.env.IOMMU_LAB_JOURNAL;
  const path = fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(envPaths('iommu-lab', { suffix: '' }).data, 'journal.sqlite');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return path;
}
