// Errors a service call ends with, in the one shape every host carries:
// a code, a message, and for invalid input the fields at fault.
import { z } from 'zod';
import { ConflictError, IncompatibleJournalError, JournalInputError, NotFoundError, RunStateError } from '../db/index.ts';
import { ScenarioError } from '../core/index.ts';
import type { ErrorCode, ServiceErrorData } from './contract.ts';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: { path: string; message: string }[],
  ) {
    super(message);
  }

  static invalid(fields: { path: string; message: string }[], prefix = ''): ServiceError {
    const withPrefix = fields.map((f) => ({ path: [prefix, f.path].filter(Boolean).join('.'), message: f.message }));
    return new ServiceError('invalid', withPrefix.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; '), withPrefix);
  }

  toData(): ServiceErrorData {
    return this.fields ? { code: this.code, message: this.message, fields: this.fields } : { code: this.code, message: this.message };
  }
}

export function fieldsOfZodError(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message,
  }));
}

/** Maps what the layers below throw to a ServiceError; anything unexpected is `internal`. */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof ScenarioError) return ServiceError.invalid(err.fields, 'scenario');
  if (err instanceof z.ZodError) return ServiceError.invalid(fieldsOfZodError(err));
  if (err instanceof JournalInputError) return ServiceError.invalid([{ path: err.field, message: err.message.slice(err.field.length + 1) }]);
  if (err instanceof NotFoundError) return new ServiceError('not_found', err.message);
  if (err instanceof RunStateError || err instanceof ConflictError) return new ServiceError('conflict', err.message);
  if (err instanceof IncompatibleJournalError) return new ServiceError('unavailable', err.message);
  return new ServiceError('internal', err instanceof Error ? err.message : String(err));
}
