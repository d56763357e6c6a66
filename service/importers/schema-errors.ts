// Turns the first zod issue of a tool's output into an ImportError naming the
// JSON path and what was expected there.
import type { z } from 'zod';
import { ImportError } from './errors.ts';
import { jsonPath } from './json-text.ts';

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * Parses `value` with `schema`, or throws an ImportError for its first issue.
 * A missing field reads "not <what> output: missing <path>", followed by
 * `missingHint(path)` when given (e.g. "was the run interrupted?").
 */
export function parseWith<S extends z.ZodType>(
  tool: 'iperf3' | 'fio',
  what: string,
  schema: S,
  value: unknown,
  missingHint: (path: string) => string | undefined = () => undefined,
): z.output<S> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new ImportError(tool, '', `not ${what} output`);
  const path = jsonPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type' && input === undefined) {
    const hint = missingHint(path);
    throw new ImportError(tool, path, `not ${what} output: missing ${path}${hint ? ` (${hint})` : ''}`);
  }
  const expected = issue.code === 'invalid_type' ? `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}` : issue.message;
  throw new ImportError(tool, path, `${path} ${expected}, got ${describe(input)}`);
}
