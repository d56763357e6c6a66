// Reads a tool's JSON output and tells apart the ways it goes wrong in
// practice: an empty file, plain-text output (the JSON flag was forgotten), a
// file cut short (the tool was killed, the disk filled up) and other damage.
import { ImportError } from './errors.ts';

const HINT = { iperf3: 'run iperf3 with -J', fio: 'run fio with --output-format=json' } as const;

/**
 * Where a JSON document that starts at `text[0]` would need more input: the
 * byte length when brackets or a string are still open at the end, else null.
 */
function truncatedAt(text: string): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth > 0 || inString ? Buffer.byteLength(text, 'utf8') : null;
}

/**
 * The parsed JSON object of a tool's output. Lines before the first line that
 * starts with `{` are skipped: fio prints notes ("note: both iodepth >= 1 and
 * synchronous I/O engine are selected") to stdout ahead of its JSON.
 */
export function parseToolJson(tool: 'iperf3' | 'fio', text: string): Record<string, unknown> {
  if (typeof text !== 'string') throw new ImportError(tool, '', `expected the text of ${tool}'s output, got ${typeof text}`);
  if (text.trim() === '') throw new ImportError(tool, '', `the file is empty (${HINT[tool]} and save its standard output)`);
  const start = /^\s*\{/m.exec(text);
  if (!start) {
    const firstLine = text.trimStart().split('\n', 1)[0]?.slice(0, 60) ?? '';
    throw new ImportError(tool, '', `not JSON: the output starts with ${JSON.stringify(firstLine)} (${HINT[tool]})`);
  }
  const json = text.slice(start.index);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    const cut = truncatedAt(json);
    if (cut !== null) throw new ImportError(tool, '', `the file is not complete JSON (truncated at byte ${cut + Buffer.byteLength(text.slice(0, start.index), 'utf8')}?)`);
    throw new ImportError(tool, '', `not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ImportError(tool, '', `expected a JSON object at the top level, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

/** `a.b[0].c` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
