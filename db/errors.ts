// Error classes callers can tell apart (the service maps them to API errors).

/** A run, experiment or benchmark that the journal does not hold. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: 'run' | 'experiment' | 'benchmark' | 'point',
    readonly key: string,
  ) {
    super(`${entity} ${JSON.stringify(key)} not found in the journal`);
  }
}

/** Bad input, rejected before anything was written. `field` names the offending input. */
export class JournalInputError extends Error {
  override readonly name = 'JournalInputError';
  constructor(
    readonly field: string,
    /** What the field allows, without the field's name. */
    readonly detail: string,
  ) {
    super(`${field} ${detail}`);
  }
}

/** A named record that already exists, where the caller did not ask to overwrite it. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    readonly entity: 'cost profile',
    readonly key: string,
  ) {
    super(`${entity} ${JSON.stringify(key)} already exists; pass replace to overwrite it`);
  }
}

/** A lifecycle step that does not apply to the run's current status (e.g. completing a failed run). */
export class RunStateError extends Error {
  override readonly name = 'RunStateError';
  constructor(
    readonly runId: string,
    readonly status: string,
    action: string,
    allowedFrom: readonly string[],
  ) {
    super(`cannot ${action} run ${runId}: it is ${status} (allowed from: ${allowedFrom.join(', ')})`);
  }
}

/** The file is not a journal this version can open (newer schema, foreign database, ...). */
export class IncompatibleJournalError extends Error {
  override readonly name: string = 'IncompatibleJournalError';
}

/**
 * The journal file could not be opened: one line naming the file and the
 * reason. `code` is SQLite's (or the system's) code, for callers that fall
 * back (e.g. to read-only use).
 */
export class JournalOpenError extends IncompatibleJournalError {
  override readonly name: string = 'JournalOpenError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`cannot open journal ${path}: ${reason}`, options);
  }
}
