// Imported values no run can report (1e299 bit/s, a negative CPU share, a
// negative fio bandwidth) are input errors naming the JSON field, never
// accepted and never `internal`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFio, parseIperf3 } from '../../service/importers/index.ts';
import { toServiceError } from '../../service/errors.ts';

/** The fixture's text with the value at `keys` replaced. */
function withValue(path: string, keys: (string | number)[], value: number): string {
  const doc = JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')) as unknown;
  let node = doc as Record<string | number, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[keys.at(-1) as string | number] = value;
  return JSON.stringify(doc);
}

function assertField(parse: () => unknown, field: RegExp, message: RegExp): void {
  let error: unknown;
  assert.throws(parse, (e: unknown) => ((error = e), true));
  const mapped = toServiceError(error);
  assert.equal(mapped.code, 'invalid', mapped.message);
  assert.match(mapped.fields?.[0]?.path ?? '', field);
  assert.match(mapped.fields?.[0]?.message ?? '', message);
}

test('iperf3: an impossible rate, a negative CPU share, a loss over 100% are refused by field', () => {
  assertField(() => parseIperf3(withValue('iperf3/tcp-send.json', ['end', 'sum_received', 'bits_per_second'], 1e299)), /^text\.end\.sum_received\.bits_per_second$/, /at most 1e15/);

  assertField(() => parseIperf3(withValue('iperf3/tcp-send.json', ['end', 'cpu_utilization_percent', 'host_total'], -5)), /^text\.end\.cpu_utilization_percent\.host_total$/, /must not be negative/);

  assertField(() => parseIperf3(withValue('iperf3/tcp-send.json', ['intervals', 0, 'sum', 'bits_per_second'], -1)), /^text\.intervals\[0\]\.sum\.bits_per_second$/, /must not be negative/);

  assert.ok(parseIperf3(readFileSync(new URL('../fixtures/iperf3/tcp-send.json', import.meta.url), 'utf8')), 'the untouched file still imports');
});

test('fio: a negative bandwidth is refused by field', () => {
  assertField(() => parseFio(withValue('fio/randread.json', ['jobs', 0, 'read', 'bw'], -100)), /^text\.jobs\[0\]\.read\.bw$/, /must not be negative/);
});
