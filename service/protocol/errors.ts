// Errors in the one shape every host carries: a code, a message, and for
// invalid input every field at fault. Runtime-neutral: workers, the page and
// Electron main load this without the journal.
import { z } from 'zod';

/** Error codes a call can fail with; every host passes them through unchanged. */
export const ERROR_CODES = ['invalid', 'not_found', 'conflict', 'unavailable', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One field at fault: a dotted path into the params (`spec.points.0.metric`; '' for the whole input) and what it allows. */
export interface FieldError {
  path: string;
  message: string;
}

/** Bad input naming its fields: what an `invalid` error carries. */
export interface InputError {
  fields: FieldError[];
}

export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export interface ServiceErrorData {
  code: ErrorCode;
  message: string;
  /** For `invalid`: every field at fault and what it allows. */
  fields?: FieldError[];
}

export const serviceErrorDataSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string(), fields: z.array(fieldErrorSchema).optional() });

/** The message an `invalid` error reads with: "path: message; path: message". */
export function describeFields(fields: readonly FieldError[]): string {
  return fields.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; ');
}

/** Prefixes every path with `prefix` (the params field the input sat in). */
export function prefixFields(fields: readonly FieldError[], prefix: string): FieldError[] {
  return fields.map((f) => ({ path: [prefix, f.path].filter(Boolean).join('.'), message: f.message }));
}

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldError[],
  ) {
    super(message);
  }

  static invalid(fields: readonly FieldError[], prefix = ''): ServiceError {
    const withPrefix = prefixFields(fields, prefix);
    return new ServiceError('invalid', describeFields(withPrefix), withPrefix);
  }

  /** The error as it crosses a wire (or arrives malformed from one: then `internal`). */
  static fromData(raw: unknown): ServiceError {
    const data = toErrorData(raw);
    return new ServiceError(data.code, data.message, data.fields);
  }

  toData(): ServiceErrorData {
    return this.fields ? { code: this.code, message: this.message, fields: this.fields } : { code: this.code, message: this.message };
  }
}

/** Every issue of a zod error as a field error. */
export function fieldsOfZodError(err: z.ZodError): FieldError[] {
  return err.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message,
  }));
}

/** The service's error as sent, or an `internal` one when the peer sent something malformed. */
export function toErrorData(raw: unknown): ServiceErrorData {
  if (raw !== null && typeof raw === 'object') {
    const e = raw as Record<string, unknown>;
    const code = typeof e.code === 'string' && (ERROR_CODES as readonly string[]).includes(e.code) ? (e.code as ErrorCode) : 'internal';
    const message = typeof e.message === 'string' ? e.message : 'the service returned an error without a message';
    const fields = Array.isArray(e.fields)
      ? e.fields.filter((f): f is FieldError => f !== null && typeof f === 'object' && typeof f.path === 'string' && typeof f.message === 'string')
      : undefined;
    return fields ? { code, message, fields } : { code, message };
  }
  return { code: 'internal', message: `the service returned a malformed error: ${JSON.stringify(raw)}` };
}
