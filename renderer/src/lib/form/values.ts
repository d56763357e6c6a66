// What the user typed, and what it means: the form keeps the text of every
// input (so a half-typed number stays on screen), and turns it into the nested
// scenario object the service takes, with instant checks from the schema.
import { deleteIn, getIn, setIn, type FieldDescriptor } from './schema-form.ts';

/** Field path -> input text. An empty text means "not set": the schema default (or the model's derived value) applies. */
export type Draft = Record<string, string>;

export type ScalarValue = string | number | boolean;

export type ParsedText =
  | { ok: true; value: ScalarValue }
  /** `value` is kept for numbers out of range, so the service can still be asked about them. */
  | { ok: false; message: string; value?: number };

const TRUE_WORDS = new Set(['true', 'on', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

function describeNumber(field: FieldDescriptor): string {
  const range = field.min !== undefined && field.max !== undefined ? ` from ${field.min} to ${field.max}` : '';
  return `${field.kind === 'integer' ? 'an integer' : 'a number'}${range}`;
}

/** One value of a field from its text, checked against the schema's kind, range and length. */
export function parseFieldText(field: FieldDescriptor, text: string): ParsedText {
  const t = field.kind === 'string' ? text : text.trim();
  switch (field.kind) {
    case 'enum': {
      const options = field.options ?? [];
      return options.includes(t) ? { ok: true, value: t } : { ok: false, message: `must be one of ${options.join(', ')}` };
    }
    case 'boolean': {
      const w = t.toLowerCase();
      if (TRUE_WORDS.has(w)) return { ok: true, value: true };
      if (FALSE_WORDS.has(w)) return { ok: true, value: false };
      return { ok: false, message: 'must be true or false' };
    }
    case 'integer':
    case 'number': {
      const n = t === '' ? Number.NaN : Number(t);
      if (!Number.isFinite(n)) return { ok: false, message: `must be ${describeNumber(field)}` };
      if (field.kind === 'integer' && !Number.isInteger(n)) return { ok: false, message: `must be an integer`, value: n };
      if (field.min !== undefined && n < field.min) return { ok: false, message: `must be at least ${field.min}`, value: n };
      if (field.max !== undefined && n > field.max) return { ok: false, message: `must be at most ${field.max}`, value: n };
      return { ok: true, value: n };
    }
    case 'string': {
      if (field.minLength !== undefined && t.length < field.minLength) return { ok: false, message: `must have at least ${field.minLength} character${field.minLength === 1 ? '' : 's'}` };
      if (field.maxLength !== undefined && t.length > field.maxLength) return { ok: false, message: `must have at most ${field.maxLength} characters` };
      return { ok: true, value: t };
    }
  }
}

/** The text an input shows for a value (absent -> empty). */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The form's text for every field of a (possibly partial) scenario object. */
export function draftFromConfig(fields: readonly FieldDescriptor[], config: unknown): Draft {
  const draft: Draft = {};
  for (const f of fields) draft[f.path] = textOf(getIn(config, f.path));
  return draft;
}

export interface BuiltConfig {
  /** The scenario input: `base` with every form field replaced by what its text says (unset fields removed). */
  config: Record<string, unknown>;
  /** Field path -> what is wrong with its text (instant, client-side). */
  errors: Record<string, string>;
}

/**
 * The nested scenario object from the form's text. `base` carries what the
 * form does not show (the scenario's own name, say), so nothing loaded from a
 * preset or a cloned run is lost.
 */
export function configFromDraft(fields: readonly FieldDescriptor[], draft: Draft, base: unknown = {}): BuiltConfig {
  const config = (base && typeof base === 'object' ? JSON.parse(JSON.stringify(base)) : {}) as Record<string, unknown>;
  const errors: Record<string, string> = {};
  for (const f of fields) {
    deleteIn(config, f.path);
    const text = draft[f.path] ?? '';
    if ((f.kind === 'string' ? text : text.trim()) === '') continue;
    const parsed = parseFieldText(f, text);
    if (parsed.ok) setIn(config, f.path, parsed.value);
    else {
      errors[f.path] = parsed.message;
      if (parsed.value !== undefined) setIn(config, f.path, parsed.value);
    }
  }
  return { config, errors };
}

/** Values of a sweep's grid entry from a comma-separated list, each checked like the field itself. */
export function parseValueList(field: FieldDescriptor, text: string): { values: ScalarValue[]; error: string | undefined } {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return { values: [], error: 'list at least one value, separated by commas' };
  const values: ScalarValue[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const parsed = parseFieldText(field, item);
    if (!parsed.ok) {
      problems.push(`${item}: ${parsed.message}`);
      continue;
    }
    const key = JSON.stringify(parsed.value);
    // A repeated value would only run the same point twice.
    if (seen.has(key)) {
      problems.push(`${item} is listed twice`);
      continue;
    }
    seen.add(key);
    values.push(parsed.value);
  }
  return { values, error: problems.length ? problems.join('; ') : undefined };
}

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 64;

/** Tags from free text: separated by commas or spaces, duplicates dropped. */
export function parseTags(text: string): { tags: string[]; error: string | undefined } {
  const tags = [...new Set(text.split(/[\s,]+/).filter((t) => t !== ''))];
  const tooLong = tags.find((t) => t.length > MAX_TAG_LENGTH);
  if (tooLong) return { tags, error: `tag "${tooLong.slice(0, 20)}…" is longer than ${MAX_TAG_LENGTH} characters` };
  if (tags.length > MAX_TAGS) return { tags, error: `at most ${MAX_TAGS} tags (got ${tags.length})` };
  return { tags, error: undefined };
}

export const MAX_SEEDS = 1000;

/** How many seeds to run: an integer from 1 to 1000. */
export function parseSeeds(text: string): { seeds: number; error: string | undefined } {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_SEEDS) return { seeds: 1, error: `must be an integer from 1 to ${MAX_SEEDS}` };
  return { seeds: n, error: undefined };
}
