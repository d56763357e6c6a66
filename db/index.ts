// Public API of the journal.
export { Journal, openJournal, openJournalSnapshot } from './journal.ts';
export type { OpenOptions, SchemaUpgrade } from './open.ts';
export type { PointFilter } from './benchmarks.ts';
export type { ExperimentSummary, RunDocument } from './experiments.ts';
export { sha256Hex } from './codec.ts';
export { defaultJournalPath } from './paths.ts';
export { ConflictError, IncompatibleJournalError, JournalInputError, JournalOpenError, NotFoundError, RunStateError } from './errors.ts';
export { LATEST_SCHEMA_VERSION } from './migrations/index.ts';
export { canonicalJson, hashJson } from './codec.ts';
export * from './types.ts';
