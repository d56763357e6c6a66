import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { JournalInputError, NotFoundError, openJournal, RunStateError } from '../../db/index.ts';
import type { Journal } from '../../db/index.ts';
import { cleanupTempDirs, completion, doneRun, newRun, scenario, tableCounts, tempDir } from '../fixtures/journal-helpers.ts';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
let path: string;
let journal: Journal;

beforeEach(() => {
  path = join(tempDir(), 'journal.sqlite');
  journal?.close();
  journal = openJournal(path);
});
after(() => {
  journal.close();
  cleanupTempDirs();
});

function inputError(field: string, message: RegExp) {
  return (err: unknown) => err instanceof JournalInputError && err.field === field && message.test(err.message);
}

describe('run lifecycle', () => {
  test('queued -> running -> done stores result, metrics and series in one step', () => {
    const experiment = journal.experiments.ensureExperiment({ name: 'sweep-1', description: 'strict vs lazy' });
    const id = journal.runs.insertRun(newRun('nested-fl strict', { experimentId: experiment.id, tags: ['baseline'], seed: 42 }));
    assert.equal(journal.runs.getRun(id).status, 'queued');
    journal.runs.markRunning(id);
    const running = journal.runs.getRun(id);
    assert.equal(running.status, 'running');
    assert.ok(running.startedAt);

    journal.runs.completeRun(id, completion());
    const run = journal.runs.getRun(id);
    assert.equal(run.status, 'done');
    assert.equal(run.durationMs, 1234);
    assert.equal(run.seed, 42);
    assert.equal(run.experimentId, experiment.id);
    assert.deepEqual(run.result, { summary: { throughputGbps: 9.1 } });
    assert.deepEqual(run.metrics, { latencyP99Us: 180, throughputGbps: 9.1 });
    assert.deepEqual(run.series, { throughputGbps: { t: [0, 1, 2], v: [9, 9.2, 9.1] } });
    assert.deepEqual(run.scenario, scenario());
    assert.deepEqual(run.tags, ['baseline']);
    assert.equal(run.error, null);
    assert.match(run.scenarioHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(journal.runs.getRun(id, { series: false }).series, {});
  });

  test('the scenario hash ignores key order and a given hash is kept', () => {
    const a = journal.runs.insertRun(newRun('a', { scenario: { x: 1, y: { b: 2, a: 1 } } }));
    const b = journal.runs.insertRun(newRun('b', { scenario: { y: { a: 1, b: 2 }, x: 1 } }));
    assert.equal(journal.runs.getRun(a).scenarioHash, journal.runs.getRun(b).scenarioHash);
    const c = journal.runs.insertRun(newRun('c', { scenarioHash: 'core-hash-v1' }));
    assert.equal(journal.runs.getRun(c).scenarioHash, 'core-hash-v1');
  });

  test('f32 series are stored at half the size and read back as floats', () => {
    const id = journal.runs.insertRun(newRun('f32'));
    journal.runs.completeRun(id, completion({ series: { s: { t: [0, 0.5, 1], v: [1, 2, 3] } }, seriesEncoding: 'f32le' }));
    assert.deepEqual(journal.runs.getRun(id).series, { s: { t: [0, 0.5, 1], v: [1, 2, 3] } });
    const db = new Database(path, { readonly: true });
    assert.equal(db.prepare('SELECT length(data) FROM run_series').pluck().get(), 3 * 2 * 4);
    db.close();
  });

  test('failRun and cancelRun end active runs, keep the error and drop nothing else', () => {
    const failed = journal.runs.insertRun(newRun('will fail', { status: 'running' }));
    journal.runs.failRun(failed, 'worker crashed: out of memory');
    const run = journal.runs.getRun(failed);
    assert.equal(run.status, 'failed');
    assert.equal(run.error, 'worker crashed: out of memory');
    assert.ok(run.finishedAt);
    assert.equal(typeof run.durationMs, 'number');
    assert.deepEqual(run.metrics, {});

    const cancelled = journal.runs.insertRun(newRun('will be cancelled'));
    journal.runs.cancelRun(cancelled);
    assert.equal(journal.runs.getRun(cancelled).status, 'cancelled');
    assert.equal(journal.runs.getRun(cancelled).durationMs, null, 'never started');
  });

  test('steps that do not apply to the current status are refused with RunStateError', () => {
    const id = journal.runs.insertRun(newRun('x'));
    journal.runs.completeRun(id, completion());
    assert.throws(() => journal.runs.markRunning(id), RunStateError);
    assert.throws(() => journal.runs.completeRun(id, completion()), /cannot complete run .*: it is done \(allowed from: queued, running\)/);
    assert.throws(() => journal.runs.failRun(id, 'late'), RunStateError);
    assert.throws(() => journal.runs.cancelRun(id), RunStateError);
    const failed = journal.runs.insertRun(newRun('y', { status: 'running' }));
    journal.runs.failRun(failed, 'boom');
    assert.throws(() => journal.runs.completeRun(failed, completion()), RunStateError);
  });

  test('unknown run ids throw NotFoundError naming the id, from every method', () => {
    const isNotFound = (err: unknown) => err instanceof NotFoundError && err.message.includes(UNKNOWN) && err.entity === 'run';
    assert.throws(() => journal.runs.getRun(UNKNOWN), isNotFound);
    assert.throws(() => journal.runs.markRunning(UNKNOWN), isNotFound);
    assert.throws(() => journal.runs.completeRun(UNKNOWN, completion()), isNotFound);
    assert.throws(() => journal.runs.failRun(UNKNOWN, 'x'), isNotFound);
    assert.throws(() => journal.runs.cancelRun(UNKNOWN), isNotFound);
    assert.throws(() => journal.runs.tagRun(UNKNOWN, 'a'), isNotFound);
    assert.throws(() => journal.runs.untagRun(UNKNOWN, 'a'), isNotFound);
    assert.throws(() => journal.runs.addNote(UNKNOWN, 'hello'), isNotFound);
    assert.throws(() => journal.runs.deleteRuns([UNKNOWN]), isNotFound);
  });

  test('bad input is rejected with the field named', () => {
    assert.throws(() => journal.runs.insertRun(newRun('')), inputError('run.name', /must not be empty/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { seed: 1.5 })), inputError('run.seed', /safe integer, got 1.5/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { status: 'done' as never })), inputError('run.status', /one of queued, running, got "done"/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { kind: 'guessed' as never })), inputError('run.kind', /one of simulated, measured/));
    // What a tag may look like is the protocol's rule (test/unit/protocol.test.ts); the journal refuses what it cannot store.
    assert.throws(() => journal.runs.insertRun(newRun('x', { tags: [''] })), inputError('run.tags[0]', /must not be empty/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { tags: ['t'.repeat(65)] })), inputError('run.tags[0]', /at most 64/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { scenario: { a: { b: [1, Infinity] } } })), inputError('run.scenario.a.b[1]', /finite number, got Infinity/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { scenario: [] as never })), inputError('run.scenario', /JSON object/));
    assert.throws(() => journal.runs.insertRun(newRun('x', { id: 'not-a-uuid' })), inputError('run.id', /UUID/));
    assert.throws(() => journal.runs.getRun('nope'), inputError('id', /UUID/));
    assert.throws(() => journal.runs.addNote(journal.runs.insertRun(newRun('n')), '   '), inputError('body', /must not be empty/));
    assert.equal(journal.runs.listRuns().total, 1, 'only the run created for the note test');
  });

  test('a run id given by the caller is kept; reusing it is refused', () => {
    const id = '7d7c1f3e-1111-4222-8333-944455556666';
    assert.equal(journal.runs.insertRun(newRun('fixed', { id })), id);
    assert.throws(() => journal.runs.insertRun(newRun('again', { id })), inputError('run.id', /already in the journal/));
  });
});

describe('completeRun atomicity', () => {
  function attempt(id: string, bad: Parameters<Journal['runs']['completeRun']>[1], field: string, message: RegExp) {
    const before = tableCounts(path);
    assert.throws(() => journal.runs.completeRun(id, bad), inputError(field, message));
    assert.deepEqual(tableCounts(path), before);
    const run = journal.runs.getRun(id);
    assert.equal(run.status, 'running');
    assert.deepEqual(run.metrics, {});
    assert.equal(run.result, null);
  }

  test('invalid metrics, series or result are rejected before anything is written', () => {
    const id = journal.runs.insertRun(newRun('x', { status: 'running' }));
    attempt(id, completion({ metrics: { throughputGbps: 9, latencyP99Us: NaN } }), 'completion.metrics.latencyP99Us', /finite number, got NaN/);
    attempt(id, completion({ series: { rx: { t: [0, 1, 2], v: [1, 2] } } }), 'completion.series.rx', /same length \(t has 3, v has 2\)/);
    attempt(id, completion({ series: { rx: { t: [0, 1], v: [1, Number.NaN] } } }), 'completion.series.rx.v[1]', /finite number/);
    attempt(id, completion({ result: { nested: { value: -Infinity } } }), 'completion.result.nested.value', /finite number/);
    attempt(id, completion({ durationMs: -1 }), 'completion.durationMs', /must be >= 0/);
    attempt(id, completion({ series: { big: { t: [0], v: [1e300] } }, seriesEncoding: 'f32le' }), 'completion.series.big', /too large for f32le/);
    attempt(id, completion({ metrics: { 'bad name': 1 } }), 'completion.metrics["bad name"]', /is not a valid key: it must be a metric name/);
  });

  test('a write failing midway rolls back the status change and the metrics already written', () => {
    const id = journal.runs.insertRun(newRun('x', { status: 'running' }));
    // Another connection installs a trigger that makes the series insert (the last write) fail.
    const other = new Database(path);
    other.exec("CREATE TRIGGER fail_series BEFORE INSERT ON run_series BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END");
    other.close();
    const before = tableCounts(path);
    assert.throws(() => journal.runs.completeRun(id, completion()), /disk full \(simulated\)/);
    assert.deepEqual(tableCounts(path), before);
    const run = journal.runs.getRun(id);
    assert.equal(run.status, 'running');
    assert.deepEqual(run.metrics, {});
    assert.equal(run.result, null);
  });
});

describe('bulk insert', () => {
  test('inserts runs in any state with their outputs, notes and tags', () => {
    const ids = journal.runs.insertRunsBulk([
      doneRun('a', { throughputGbps: 9 }, { tags: ['t1'], notes: ['imported from lab host'], series: { s: { t: [0], v: [1] } } }),
      { ...newRun('b'), status: 'failed', error: 'oom' },
      { ...newRun('c'), status: 'queued' },
    ]);
    assert.equal(ids.length, 3);
    const a = journal.runs.getRun(ids[0] ?? '');
    assert.deepEqual(a.metrics, { throughputGbps: 9 });
    assert.deepEqual(a.tags, ['t1']);
    assert.equal(a.notes[0]?.body, 'imported from lab host');
    assert.equal(journal.runs.getRun(ids[1] ?? '').error, 'oom');
  });

  test('one bad run rejects the whole batch, naming its index', () => {
    const before = tableCounts(path);
    assert.throws(
      () => journal.runs.insertRunsBulk([doneRun('ok', { x: 1 }), doneRun('bad', { x: Number.NaN }), doneRun('ok2', { x: 2 })]),
      inputError('runs[1].metrics.x', /finite number, got NaN/),
    );
    assert.throws(
      () => journal.runs.insertRunsBulk([{ ...doneRun('failed with metrics', { x: 1 }), status: 'failed' }]),
      inputError('runs[0].metrics', /must be empty unless status is done/),
    );
    const dup = '7d7c1f3e-1111-4222-8333-944455556666';
    assert.throws(() => journal.runs.insertRunsBulk([doneRun('a', {}, { id: dup }), doneRun('b', {}, { id: dup })]), /already in the journal/);
    assert.deepEqual(tableCounts(path), before);
  });
});

describe('tags, notes and deletion', () => {
  test('tags are a set; untag removes; notes keep their order', () => {
    const id = journal.runs.insertRun(newRun('x', { tags: ['b'] }));
    journal.runs.tagRun(id, ['a', 'b', 'c']);
    journal.runs.tagRun(id, 'a');
    journal.runs.untagRun(id, 'c');
    assert.deepEqual(journal.runs.getRun(id).tags, ['a', 'b']);
    const n1 = journal.runs.addNote(id, 'first');
    journal.runs.addNote(id, 'second');
    assert.deepEqual(journal.runs.getRun(id).notes.map((n) => n.body), ['first', 'second']);
    assert.equal(n1.runId, id);
  });

  test('deleteRuns removes runs with everything attached, and nothing when an id is unknown', () => {
    const keep = journal.runs.insertRun(newRun('keep', { tags: ['x'] }));
    const gone = journal.runs.insertRun(newRun('gone searchable', { tags: ['x'] }));
    journal.runs.completeRun(gone, completion());
    journal.runs.addNote(gone, 'a note that should vanish');
    journal.benchmarks.ensureBenchmark({ name: 'rx', metric: 'throughputGbps', higherIsBetter: true });
    const point = journal.benchmarks.addBenchmarkPoint('rx', { value: 9.1, source: 'simulated', runId: gone });

    assert.throws(() => journal.runs.deleteRuns([gone, UNKNOWN]), NotFoundError);
    assert.equal(journal.runs.getRun(gone).status, 'done', 'nothing deleted by the failed call');

    assert.equal(journal.runs.deleteRuns([gone]), 1);
    assert.throws(() => journal.runs.getRun(gone), NotFoundError);
    const counts = tableCounts(path);
    assert.equal(counts.runs, 1);
    assert.equal(counts.run_documents, 1);
    assert.equal(counts.run_metrics, 0);
    assert.equal(counts.run_series, 0);
    assert.equal(counts.notes, 0);
    assert.equal(counts.run_tags, 1);
    assert.equal(journal.runs.listRuns({ filter: { text: 'vanish' } }).total, 0);
    assert.equal(journal.runs.listRuns({ filter: { text: 'searchable' } }).total, 0);
    // A point stands for its run (schema 5): it goes with it, rather than stay behind as an orphan.
    assert.deepEqual(
      journal.benchmarks.listBenchmarkPoints('rx').map((p) => p.id),
      [],
    );
    assert.ok(point.id);
    assert.equal(journal.runs.getRun(keep).name, 'keep');
    assert.deepEqual(journal.checkIntegrity(), []);
  });
});

describe('experiments', () => {
  test('create, find by name, ensure is idempotent, names are unique', () => {
    const e = journal.experiments.createExperiment({ name: 'sweep', description: 'first' });
    assert.deepEqual(journal.experiments.getExperimentByName('sweep'), e);
    assert.equal(journal.experiments.getExperimentByName('other'), undefined);
    assert.deepEqual(journal.experiments.ensureExperiment({ name: 'sweep', description: 'ignored' }), e);
    assert.throws(() => journal.experiments.createExperiment({ name: 'sweep' }), inputError('experiment.name', /already exists/));
    assert.equal(journal.experiments.ensureExperiment({ name: 'second' }).name, 'second');
    assert.deepEqual(journal.experiments.listExperiments().map((x) => x.name), ['sweep', 'second']);
  });
});
