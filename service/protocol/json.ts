// JSON documents as the protocol carries them (stored scenarios, tool output,
// run results): a recursive schema, so a result holding a function, a class
// instance or NaN fails validation instead of slipping through as `unknown`.
import { z } from 'zod';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(z.string(), jsonValueSchema)]),
);

export const jsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), jsonValueSchema);

/**
 * Why `value` is larger than `maxKeys` keys and array items (at any depth) or
 * nested deeper than `maxDepth`, or null: counted before anything else reads
 * it, stopping at the first bound passed.
 */
export function jsonTooLarge(value: unknown, maxKeys: number, maxDepth: number): string | null {
  let keys = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return `is nested more than ${maxDepth} levels deep`;
    // Counted one by one, stopping at the bound: listing 700k keys at once takes a second.
    if (Array.isArray(v)) {
      if ((keys += v.length) > maxKeys) return `has more than ${maxKeys} keys and items`;
      for (const c of v) stack.push([c, depth + 1]);
      continue;
    }
    for (const k in v) {
      if (++keys > maxKeys) return `has more than ${maxKeys} keys and items`;
      stack.push([(v as Record<string, unknown>)[k], depth + 1]);
    }
  }
  return null;
}
