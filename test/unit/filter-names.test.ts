// Unknown names in run queries are input errors that list the allowed names
// and suggest the closest (service/protocol/names.ts), through the protocol's
// schema that every client's call passes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { methods as METHODS } from '../../service/protocol/methods.ts';
import { editDistance, scenarioLeafPaths, suggest, unknownMetricMessage, unknownScenarioPathMessage, unknownSortKeyMessage } from '../../service/protocol/names.ts';

describe('suggestions', () => {
  test('edit distance, case-insensitive', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('Throughput', 'throughput'), 0);
    assert.equal(editDistance('', 'abc'), 3);
  });
  test('close names: a prefix, a typo, a unit left out, a last path segment', () => {
    assert.deepEqual(suggest('throughput', ['throughputGbps', 'packetsPerSec']), ['throughputGbps']);
    assert.deepEqual(suggest('thruput', ['throughputGbps', 'packetsPerSec']), ['throughputGbps']);
    assert.deepEqual(suggest('vmExitPerSec', ['vmExitsPerSec', 'kvmFaultsPerSec', 'throughputGbps']), ['vmExitsPerSec']);
    assert.deepEqual(suggest('backend', ['viommu.backend', 'device.mtu']), ['viommu.backend']);
    assert.deepEqual(suggest('nosuch.field', ['viommu.backend', 'device.mtu']), []);
  });
});

describe('known names', () => {
  test('scenario leaf paths come from the scenario schema', () => {
    const paths = scenarioLeafPaths();
    for (const p of ['viommu.backend', 'policy', 'flushQueue.size', 'flushQueue.kind', 'device.mtu', 'guest.kernel', 'workload.kind', 'costs.exitRoundTripNs']) assert.ok(paths.includes(p), p);
    assert.ok(!paths.includes('viommu'), 'groups are not leaves');
  });
  test('metrics: catalog names and per-reason breakdowns pass; others name the allowed and the closest', () => {
    assert.equal(unknownMetricMessage('throughputGbps'), undefined);
    assert.equal(unknownMetricMessage('vmExitsPerSec.iotlb'), undefined);
    assert.equal(unknownMetricMessage('readIops'), undefined);
    const msg = unknownMetricMessage('throughput') ?? '';
    assert.match(msg, /^unknown metric "throughput"\. Did you mean throughputGbps\? Allowed: throughputGbps, packetsPerSec,/);
    assert.match(unknownMetricMessage('flushQueueOccupancy') ?? '', /unknown metric/, 'a series is not a scalar to filter on');
  });
  test('scenario paths: with or without $., array indexes, measured facts; a group is not a value', () => {
    assert.equal(unknownScenarioPathMessage('$.viommu.backend'), undefined);
    assert.equal(unknownScenarioPathMessage('flushQueue.size'), undefined);
    assert.equal(unknownScenarioPathMessage('$.measured.context.kernel'), undefined);
    assert.match(unknownScenarioPathMessage('$.nosuch.field') ?? '', /^unknown scenario field "nosuch\.field"\. Allowed: .*viommu\.backend/);
    assert.match(unknownScenarioPathMessage('$.backend') ?? '', /Did you mean viommu\.backend\?/);
    assert.match(unknownScenarioPathMessage('$.viommu') ?? '', /"viommu" is a group of fields, not a value/);
  });
  test('sort keys: columns, metric:<known metric>', () => {
    assert.equal(unknownSortKeyMessage('created_at'), undefined);
    assert.equal(unknownSortKeyMessage('metric:vmExitsPerSec'), undefined);
    assert.match(unknownSortKeyMessage('bogus') ?? '', /^unknown sort key "bogus"\. Allowed: created_at, name, status, duration_ms, or metric:<name>/);
    assert.match(unknownSortKeyMessage('metric:vmExits') ?? '', /Did you mean vmExitsPerSec\?/);
  });
});

describe('the protocol refuses unknown names at the boundary (every client: CLI, HTTP, the UI)', () => {
  const issues = (method: 'runs.list' | 'runs.export', params: unknown) => {
    const r = METHODS[method].params.safeParse(params);
    assert.equal(r.success, false, JSON.stringify(params));
    return (r.error?.issues ?? []).map((i) => ({ path: i.path.join('.'), message: i.message }));
  };
  test('runs.list: metric, scenario path and sort key, each named by its field', () => {
    assert.deepEqual(issues('runs.list', { filter: { metric: [{ name: 'throughput', min: 40 }] } }).map((i) => i.path), ['filter.metric.0.name']);
    assert.match(issues('runs.list', { filter: { scenario: [{ path: '$.nosuch.field', value: 1 }] } })[0]?.message ?? '', /unknown scenario field "nosuch\.field"/);
    assert.match(issues('runs.list', { sort: { by: 'bogus' } })[0]?.message ?? '', /unknown sort key "bogus"/);
    assert.deepEqual(issues('runs.list', { metrics: ['throughputGbps', 'nope'] }).map((i) => i.path), ['metrics.1']);
    assert.equal(METHODS['runs.list'].params.safeParse({ filter: { metric: [{ name: 'vmExitsPerSec.psi', max: 1 }], scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }] }, sort: { by: 'metric:throughputGbps' } }).success, true);
  });
  test('runs.export: the same query rules and the metric columns', () => {
    assert.match(issues('runs.export', { format: 'csv', query: { filter: { metric: [{ name: 'thruput' }] } } })[0]?.message ?? '', /Did you mean throughputGbps\?/);
    assert.deepEqual(issues('runs.export', { format: 'csv', metrics: ['throughputGbps', 'bogus'] }).map((i) => i.path), ['metrics.1']);
  });
});
