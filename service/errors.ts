// What the layers below throw, mapped to the protocol's errors in one place.
// Loads no journal: the error classes come from their own modules (db/errors.ts
// is plain), so workers and pure modules can use it.
import { z } from 'zod';
import { LeastSquaresInputError } from '../core/analysis/least-squares.ts';
import { ScenarioError } from '../core/model/scenario.ts';
import { ConflictError, IncompatibleJournalError, JournalInputError, NotFoundError, RunStateError } from '../db/errors.ts';
import { CalibrationInputError } from './calibration/errors.ts';
import { HistoryInputError } from './history.ts';
import { ImportError } from './importers/errors.ts';
import { JobFailedError } from './pool/errors.ts';
import { fieldsOfZodError, prefixFields, ServiceError, type InputError } from './protocol/errors.ts';

export { ServiceError, fieldsOfZodError } from './protocol/errors.ts';

/**
 * The fields at fault when `err` is bad input naming them, else undefined:
 * the one mapping of every "bad input" error class (in this thread or, through
 * the worker's `fields`, in a worker).
 */
export function inputErrorOf(err: unknown): InputError | undefined {
  if (err instanceof ServiceError) return err.code === 'invalid' ? { fields: err.fields ?? [] } : undefined;
  if (err instanceof z.ZodError) return { fields: fieldsOfZodError(err) };
  if (err instanceof ScenarioError) return { fields: prefixFields(err.fields, 'scenario') };
  if (err instanceof JournalInputError) return { fields: [{ path: err.field, message: err.detail }] };
  if (err instanceof HistoryInputError) return { fields: [{ path: err.field, message: err.detail }] };
  if (err instanceof CalibrationInputError) return { fields: [{ path: err.field, message: err.detail }] };
  if (err instanceof ImportError) return { fields: [{ path: err.field ? `text.${err.field}` : 'text', message: err.message }] };
  if (err instanceof LeastSquaresInputError) return { fields: [{ path: 'parameters', message: err.message }] };
  if (err instanceof JobFailedError && err.fields !== undefined) return { fields: err.fields };
  return undefined;
}

/** Maps what the layers below throw to a ServiceError; anything unexpected is `internal`. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const input = inputErrorOf(err);
  if (input) return ServiceError.invalid(input.fields);
  if (err instanceof NotFoundError) return new ServiceError('not_found', err.message);
  if (err instanceof RunStateError || err instanceof ConflictError) return new ServiceError('conflict', err.message);
  if (err instanceof IncompatibleJournalError) return new ServiceError('unavailable', err.message);
  return new ServiceError('internal', err instanceof Error ? err.message : String(err));
}
