// The protocol's shared field rules (one rule per field, the journal does not
// restate them) and the one mapping of bad-input errors to fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { LeastSquaresInputError } from '../../core/analysis/least-squares.ts';
import { ScenarioError } from '../../core/model/scenario.ts';
import { JournalInputError, NotFoundError } from '../../db/errors.ts';
import { CalibrationInputError } from '../../service/calibration/errors.ts';
import { inputErrorOf, toServiceError } from '../../service/errors.ts';
import { HistoryInputError } from '../../service/history.ts';
import { ImportError } from '../../service/importers/errors.ts';
import { JobFailedError } from '../../service/pool/errors.ts';
import { RunScheduler } from '../../service/scheduler.ts';
import { isEndedStatus, profileNameSchema, RUN_STATUSES, ServiceError, tagSchema } from '../../service/protocol/index.ts';
import { RUN_STATUSES as JOURNAL_STATUSES } from '../../db/types.ts';

test('tags: a letter or digit first, no spaces or commas, at most 64', () => {
  for (const ok of ['perf', 'v6.3', 'nested-fl', 'a=b', 'größe', '9p']) assert.ok(tagSchema.safeParse(ok).success, ok);
  for (const bad of ['#perf', 'has space', 'a,b', '', '-x', 't'.repeat(65)]) assert.ok(!tagSchema.safeParse(bad).success, bad);
});

test('profile names: a letter or digit first, then letters, digits and . _ + -', () => {
  for (const ok of ['lab1', 'qemu-9.1_host+kvm', 'A']) assert.ok(profileNameSchema.safeParse(ok).success, ok);
  for (const bad of ['lab 1', '-lab1', '', 'a'.repeat(101), 'a/b']) assert.ok(!profileNameSchema.safeParse(bad).success, bad);
});

test('run statuses are the journal\'s, and the ended ones are said once', () => {
  assert.deepEqual([...RUN_STATUSES], [...JOURNAL_STATUSES]);
  assert.deepEqual(RUN_STATUSES.filter(isEndedStatus), ['done', 'failed', 'cancelled', 'interrupted']);
});

test('every bad-input error maps to the fields at fault, without reading its message apart', () => {
  const zodError = z.object({ a: z.number() }).safeParse({ a: 'x' }).error as z.ZodError;
  const cases: [unknown, { path: string; message: RegExp }][] = [
    [zodError, { path: 'a', message: /number/ }],
    [new ScenarioError([{ path: 'viommu.backend', message: 'must be one of ...' }]), { path: 'scenario.viommu.backend', message: /^must be one of/ }],
    [new JournalInputError('run.tags[0]', 'must not be empty'), { path: 'run.tags[0]', message: /^must not be empty$/ }],
    [new HistoryInputError('points[2].value', 'must be a finite number, got NaN'), { path: 'points[2].value', message: /^must be a finite number/ }],
    [new CalibrationInputError('points.0.metric', 'the simulation has no metric "x"'), { path: 'points.0.metric', message: /^the simulation has no metric/ }],
    [new ImportError('iperf3', 'end.sum_received', 'not iperf3 -J output: missing end.sum_received'), { path: 'text.end.sum_received', message: /missing end\.sum_received/ }],
    [new LeastSquaresInputError('no parameters to fit'), { path: 'parameters', message: /no parameters/ }],
    // A worker's input error arrives as data (fields), whatever its class was called there.
    [new JobFailedError('analyzeHistory', 'points[1].measuredAt: must be ...', { crashed: false, workerName: 'ServiceError', fields: [{ path: 'points[1].measuredAt', message: 'must be an ISO-8601 timestamp' }] }), { path: 'points[1].measuredAt', message: /ISO-8601/ }],
  ];
  for (const [err, want] of cases) {
    const fields = inputErrorOf(err)?.fields;
    assert.equal(fields?.length, 1, String(err));
    assert.equal(fields[0]?.path, want.path);
    assert.match(fields[0]?.message ?? '', want.message);
    const mapped = toServiceError(err);
    assert.equal(mapped.code, 'invalid');
    assert.deepEqual(mapped.fields, fields);
  }
});

test('other errors keep their code; a worker failure without fields is not bad input', () => {
  assert.equal(inputErrorOf(new JobFailedError('simulate', 'boom', { crashed: true })), undefined);
  assert.equal(toServiceError(new JobFailedError('simulate', 'boom', { crashed: true })).code, 'internal');
  assert.equal(toServiceError(new NotFoundError('run', 'x')).code, 'not_found');
  assert.equal(toServiceError(new Error('x')).code, 'internal');
  const invalid = ServiceError.invalid([{ path: 'a', message: 'must be b' }], 'spec');
  assert.deepEqual(invalid.toData(), { code: 'invalid', message: 'spec.a: must be b', fields: [{ path: 'spec.a', message: 'must be b' }] });
  assert.deepEqual(ServiceError.fromData({ code: 'weird', message: 1 }).toData(), { code: 'internal', message: 'the service returned an error without a message' });
});

test('a worker\'s bad-input error comes back to the service as its fields', async () => {
  const scheduler = new RunScheduler(() => assert.fail('no journal is needed'), { onStatus() {}, onProgress() {} }, { workers: 1 });
  try {
    const job = scheduler.job('analyzeHistory', { benchmark: { name: 'b', metric: 'm', higherIsBetter: true }, points: [{ measuredAt: 'nope', value: 1 }] });
    await assert.rejects(job, (err: unknown) => {
      const mapped = toServiceError(err);
      return mapped.code === 'invalid' && mapped.fields?.length === 1 && mapped.fields[0]?.path === 'points[0].measuredAt' && /ISO-8601/.test(mapped.fields[0].message);
    });
  } finally {
    await scheduler.close();
  }
});
