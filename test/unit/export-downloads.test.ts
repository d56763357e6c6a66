// runs.export of any size: a small export comes back whole; one past
// MAX_EXPORT_CONTENT_CHARS (or any, when asked) comes back as a download the
// client reads piece by piece, byte for byte the text the export writes. A
// download is read once, by one reader at a time, and can be dropped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fillJournal } from '../../bench/journal.ts';
import { openJournal } from '../../db/index.ts';
import { writeRunsExport } from '../../service/handlers/exports.ts';
import type { ApiError} from '../../service/index.ts';
import { inProcessTransport, Lab, LabClient, readDownload } from '../../service/index.ts';
import { MAX_EXPORT_CONTENT_CHARS } from '../../service/protocol/constants.ts';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';

/** Pretty JSON of these runs (scenario, metrics) is a few kB a run: past the whole-answer bound. */
const RUNS = 6000;

describe('runs.export downloads', () => {
  let lab: Lab;
  let client: LabClient;
  let expectedJson = '';

  before(async () => {
    const path = join(tempDir(), 'journal.sqlite');
    const journal = openJournal(path);
    fillJournal(journal, RUNS);
    await writeRunsExport(journal, { query: {}, format: 'json' }, (c) => {
      expectedJson += c;
    });
    journal.close();
    lab = Lab.open({ journalPath: path, validateResults: true });
    client = new LabClient(inProcessTransport(lab), { validateResults: true });
  });
  after(async () => {
    client.close();
    await lab.close();
    cleanupTempDirs();
  });

  test('past the bound, runs.export answers with a download; read piece by piece it is the whole export', async () => {
    assert.ok(expectedJson.length > MAX_EXPORT_CONTENT_CHARS, `the export is ${expectedJson.length} characters`);
    const r = await client.call('runs.export', { format: 'json' });
    assert.equal(r.runs, RUNS);
    assert.equal(r.content, undefined);
    const id = r.download?.id ?? assert.fail('a download');
    const pieces: string[] = [];
    const chars = await readDownload(client, id, (text) => {
      pieces.push(text);
    });
    assert.ok(pieces.length >= 2, `${pieces.length} pieces`);
    assert.ok(Math.max(...pieces.map((p) => p.length)) < MAX_EXPORT_CONTENT_CHARS + 2 ** 20, 'no piece holds the whole export');
    assert.equal(chars, expectedJson.length);
    assert.equal(pieces.join(''), expectedJson);
    // Read once.
    await assert.rejects(client.call('downloads.read', { id }), (err: ApiError) => err.code === 'not_found' && /read to the end/.test(err.message));
  });

  test('a small export comes back whole, or as a download when asked', async () => {
    const query = { filter: { tags: ['tenth'] }, sort: { by: 'name' as const, dir: 'asc' as const } };
    const whole = await client.call('runs.export', { format: 'csv', query });
    assert.equal(whole.runs, RUNS / 10);
    assert.equal(whole.download, undefined);
    const asked = await client.call('runs.export', { format: 'csv', query, download: true });
    assert.equal(asked.content, undefined);
    let text = '';
    await readDownload(client, asked.download?.id ?? assert.fail('a download'), (t) => {
      text += t;
    });
    assert.equal(text, whole.content);
    assert.equal(text.trim().split('\n').length, RUNS / 10 + 1);
  });

  test('one reader at a time; a cancelled download is gone; an unknown one is not_found', async () => {
    const r = await client.call('runs.export', { format: 'csv', download: true });
    const id = r.download?.id ?? assert.fail('a download');
    const first = client.call('downloads.read', { id });
    await assert.rejects(client.call('downloads.read', { id }), (err: ApiError) => err.code === 'conflict');
    const piece = await first;
    assert.equal(piece.done, false);
    assert.match(piece.text, /^id,name,kind,status,/);
    assert.deepEqual(await client.call('downloads.cancel', { id }), { cancelled: true });
    assert.deepEqual(await client.call('downloads.cancel', { id }), { cancelled: false });
    await assert.rejects(client.call('downloads.read', { id }), (err: ApiError) => err.code === 'not_found');
    await assert.rejects(client.call('downloads.read', { id: 'no-such-download' }), (err: ApiError) => err.code === 'not_found');
  });

  test('a reader whose sink fails cancels the download', async () => {
    const r = await client.call('runs.export', { format: 'csv', download: true });
    const id = r.download?.id ?? assert.fail('a download');
    await assert.rejects(
      readDownload(client, id, () => {
        throw new Error('disk full');
      }),
      /disk full/,
    );
    await assert.rejects(client.call('downloads.read', { id }), (err: ApiError) => err.code === 'not_found');
  });
});
