// serve's WebSocket limit and the API's size limits agree: an import at the
// limit in the worst encoding (UTF-16 read as text: half NULs, each a six-byte
// JSON escape) reaches the service and gets its answer, one over the limit
// gets an `invalid` answer naming the field, and the socket stays open for the
// next call. Large previews are refused up front, naming the field and the limit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ApiError, LabClient, Lab, startServer, webSocketTransport, type RunningServer } from '../../service/index.ts';
import { MAX_FIELD_COLUMNS, MAX_IMPORT_TEXT_CHARS, MAX_SCENARIO_CONFIG_KEYS } from '../../service/protocol/constants.ts';
import { MAX_JSON_BYTES_PER_CHAR, MAX_MESSAGE_BYTES, OFF_THREAD_PARSE_BYTES } from '../../service/transport/http-server.ts';
import { cleanupTempDirs, tempDir, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

/** The call fails `invalid` on `path` with a message matching `message`. */
async function invalidOn(call: Promise<unknown>, path: string, message: RegExp): Promise<void> {
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, 'invalid', e.message);
    const field = e.fields.find((f) => f.path === path);
    assert.ok(field, `no error on ${path}: ${JSON.stringify(e.fields)}`);
    assert.match(field.message, message);
    return true;
  });
}

describe('serve: size limits', () => {
  let dir: string;
  let lab: Lab;
  let server: RunningServer;
  let client: LabClient;
  let closedCode: number | null = null;

  before(async () => {
    dir = tempDir();
    lab = Lab.open({ journalPath: join(dir, 'journal.sqlite'), workers: 1 });
    server = await startServer({ lab, port: 0, staticDir: join(dir, 'no-ui') });
    // A socket the test watches: a close (1009 = message too big) fails the tests below.
    const Watched = class extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('close', (code) => (closedCode = code));
      }
    };
    client = new LabClient(webSocketTransport(`ws://127.0.0.1:${server.port}/api?token=${encodeURIComponent(server.token)}`, { WebSocketImpl: Watched as never, reconnect: false }));
    await client.call('benchmarks.create', { name: 'rx', metric: 'receivedGbps', higherIsBetter: true });
  });
  after(async () => {
    client.close();
    await server.close();
    await lab.close();
  });

  test('the socket takes the largest import message in the worst encoding', () => {
    const worst = JSON.stringify({ type: 'request', id: 1, method: 'measurements.import', params: { tool: 'iperf3', benchmark: 'rx', text: '\u0000\ud800'.repeat(8) } });
    // Per character of text, no message takes more than MAX_JSON_BYTES_PER_CHAR bytes.
    assert.ok(Buffer.byteLength(worst) - Buffer.byteLength(worst.replace(/\\u0000|\\ud800/g, '')) <= 16 * MAX_JSON_BYTES_PER_CHAR);
    assert.ok(MAX_MESSAGE_BYTES >= MAX_JSON_BYTES_PER_CHAR * MAX_IMPORT_TEXT_CHARS + 4096);
  });

  test('an import at the limit as UTF-16 read as text (half NULs): the service answers, the socket stays open', async () => {
    const utf16AsText = 'x\u0000'.repeat(MAX_IMPORT_TEXT_CHARS / 2);
    assert.equal(utf16AsText.length, MAX_IMPORT_TEXT_CHARS);
    assert.ok(Buffer.byteLength(JSON.stringify(utf16AsText)) > 3 * MAX_IMPORT_TEXT_CHARS, 'more than the old 3-bytes-a-character room');
    // Not JSON (it is no iperf3 output): the importer's own answer, which only a delivered message gets.
    await invalidOn(client.call('measurements.import', { tool: 'iperf3', text: utf16AsText, benchmark: 'rx' }), 'text', /not JSON/);
    assert.equal(closedCode, null, 'the socket was not closed');
    assert.equal((await client.call('runs.list', {})).total, 0, 'the connection is still up');
  });

  test('an import one character over the limit: invalid, naming text and the limit; the socket stays open', async () => {
    await invalidOn(client.call('measurements.import', { tool: 'iperf3', text: 'é'.repeat(MAX_IMPORT_TEXT_CHARS + 1), benchmark: 'rx' }), 'text', /larger than 50 MiB/);
    assert.equal(closedCode, null, 'the socket was not closed');
    assert.equal((await client.call('runs.list', {})).total, 0, 'the connection is still up');
  });

  test('a message too large to parse on serve\'s thread that is no JSON: the answer names the message, as for a small one', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${encodeURIComponent(server.token)}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answers: unknown[] = [];
    const answered = new Promise<void>((resolve) => ws.on('message', (d) => answers.push(JSON.parse(d.toString())) === 2 && resolve()));
    ws.send(`{"type":"request","id":7,"method":"runs.list","params":{"text":"${'x'.repeat(OFF_THREAD_PARSE_BYTES)}"`); // cut short
    ws.send(JSON.stringify({ type: 'request', id: 8, method: 'runs.list', params: { pad: 'x'.repeat(OFF_THREAD_PARSE_BYTES) } }));
    await answered;
    ws.close();
    const byId = (id: number) => answers.find((a) => (a as { id: number }).id === id) as { error?: { code: string; fields: { path: string; message: string }[] } };
    assert.equal(byId(0).error?.code, 'invalid');
    assert.match(byId(0).error?.fields[0]?.message ?? '', /must be JSON/);
    // Parsed off the thread all the same: the method's own check answers (an unknown key).
    assert.equal(byId(8).error?.code, 'invalid');
    assert.match(JSON.stringify(byId(8).error?.fields), /unknown field \\"pad\\"/);
  });

  test('a preview of a 700k-key config is refused up front, naming source.config and the limit', async () => {
    const config = Object.fromEntries(Array.from({ length: 700_000 }, (_, i) => [`k${i}`, i]));
    await invalidOn(client.call('scenario.preview', { source: { config } }), 'source.config', new RegExp(`more than ${MAX_SCENARIO_CONFIG_KEYS} keys`));
    const deep = JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as Record<string, unknown>;
    await invalidOn(client.call('scenario.preview', { source: { config: deep } }), 'source.config', /nested more than \d+ levels/);
    // A real config passes the bound.
    const ok = await client.call('scenario.preview', { source: { preset: 'seed-after-fix', overrides: ['durationMs=50'] } });
    assert.equal(ok.ok, true);
    assert.equal(closedCode, null);
  });

  test('runs.fields of a run whose scenario holds 50k keys is refused up front, naming ids; wide runs must name their paths', async () => {
    const huge = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    const wide = Object.fromEntries(Array.from({ length: MAX_FIELD_COLUMNS + 1 }, (_, i) => [`f${i}`, i]));
    const [hugeId, wideId] = withJournal(join(dir, 'journal.sqlite'), (j) =>
      j.runs.insertRunsBulk([
        { name: 'huge', scenario: huge, modelVersion: '1', seed: 1, status: 'done', result: {}, metrics: {} },
        { name: 'wide', scenario: wide, modelVersion: '1', seed: 1, status: 'done', result: {}, metrics: {} },
      ]),
    ) as [string, string];
    await invalidOn(client.call('runs.fields', { ids: [hugeId] }), 'ids', new RegExp(`run ${hugeId}: its scenario has more than ${MAX_SCENARIO_CONFIG_KEYS} keys`));
    await invalidOn(client.call('runs.fields', { ids: [wideId] }), 'paths', new RegExp(`\\d+ scenario fields, more than ${MAX_FIELD_COLUMNS} columns`));
    const named = await client.call('runs.fields', { ids: [wideId], paths: ['f0', 'f1'] });
    assert.deepEqual(named.rows[0]?.fields, { f0: 0, f1: 1 });
  });
});
