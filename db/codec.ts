// How values are laid out in the file: canonical JSON for configs (so equal
// configs compare and hash equal) and packed floats for series.
import { createHash } from 'node:crypto';
import type { JsonValue, Series, SeriesEncoding } from './types.ts';

/** JSON with object keys sorted at every level; `undefined` members are dropped as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** sha256 (hex) of the canonical JSON: the default scenario hash. */
export function hashJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function parseJson<T extends JsonValue>(text: string): T {
  return JSON.parse(text) as T;
}

const WIDTH: Record<SeriesEncoding, number> = { f64le: 8, f32le: 4 };
const F32_MAX = 3.4028234663852886e38;

/** Packs t then v. Returns undefined if a value does not fit the encoding (f32 overflow). */
export function encodeSeries(series: Series, encoding: SeriesEncoding): Buffer | undefined {
  const n = series.t.length;
  const width = WIDTH[encoding];
  const buf = Buffer.allocUnsafe(2 * n * width);
  const values = [series.t, series.v];
  for (let part = 0; part < 2; part++) {
    const arr = values[part] as number[];
    const base = part * n * width;
    for (let i = 0; i < n; i++) {
      const x = arr[i] as number;
      if (encoding === 'f64le') buf.writeDoubleLE(x, base + i * 8);
      else if (Math.abs(x) > F32_MAX) return undefined;
      else buf.writeFloatLE(x, base + i * 4);
    }
  }
  return buf;
}

export function decodeSeries(data: Buffer, encoding: SeriesEncoding, points: number): Series {
  const width = WIDTH[encoding];
  if (data.length !== 2 * points * width) {
    throw new Error(`series blob holds ${data.length} bytes, expected ${2 * points * width} for ${points} ${encoding} points`);
  }
  const read = (offset: number): number => (encoding === 'f64le' ? data.readDoubleLE(offset) : data.readFloatLE(offset));
  const t = new Array<number>(points);
  const v = new Array<number>(points);
  for (let i = 0; i < points; i++) {
    t[i] = read(i * width);
    v[i] = read((points + i) * width);
  }
  return { t, v };
}
