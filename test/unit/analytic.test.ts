// The closed-form estimate against the event model over a grid of presets x
// policies x vCPUs: within 10% wherever no serialization point is above 90%
// busy, and an explicit "out of range" instead of a number elsewhere.
//
// The estimate models every serialization point of the real system (q_lock,
// the bare-metal hardware queue, the single queue's fq->lock); a test checks
// that the event model serializes at each of them too, so every grid point is
// a checked comparison (no point is excused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimate, MAX_TRUSTED_UTILIZATION, type ServerName } from '../../core/analytic/estimate.ts';
import { simulate } from '../../core/simulate.ts';
import { findPreset, PRESET_NAMES } from '../../core/model/presets.ts';
import { mergeDeep, type ScenarioInput } from '../../core/model/scenario.ts';

const preset = (name: string, patch: unknown = {}) => mergeDeep(findPreset(name)!.scenario, patch) as ScenarioInput;
const run = { durationMs: 60, warmupMs: 10 };
const gbps = (s: ScenarioInput) => simulate(s).throughputGbps;

/** Two vCPUs whose only shared resource is the server: if they serialize, two give about what one gives. */
function serializes(one: ScenarioInput, two: ScenarioInput): boolean {
  return gbps(two) < 1.5 * gbps(one);
}
const heavyExit = { ...run, policy: 'strict', costs: { exitRoundTripNs: 200000 } };
const heavyHw = { ...run, policy: 'strict', costs: { hwInvalidationNs: 200000 } };
const n = (k: number) => ({ guest: { vcpus: k }, device: { queues: k }, workload: { streams: k } });
// With one shared ring and slow flushes, the vCPU that is not flushing spins on fq->lock through the other's flush.
const lazySingle = { ...run, policy: 'lazy', flushQueue: { kind: 'single', size: 64 }, costs: { exitRoundTripNs: 5e6 } };
const serializingScenarios: Record<Exclude<ServerName, 'bql'>, () => boolean> = {
  qLock: () => serializes(preset('seed-before-fix', mergeDeep(heavyExit, n(1))), preset('seed-before-fix', mergeDeep(heavyExit, n(2)))),
  hwQueue: () => serializes(preset('bare-metal', mergeDeep(heavyHw, n(1))), preset('bare-metal', mergeDeep(heavyHw, n(2)))),
  fqLock: () => {
    const two = simulate(preset('seed-after-fix', mergeDeep(lazySingle, n(2))));
    return serializes(preset('seed-after-fix', mergeDeep(lazySingle, n(1))), preset('seed-after-fix', mergeDeep(lazySingle, n(2)))) && two.cpu.breakdown.fqLockSpin > 0.25;
  },
};

const grid: { name: string; policy: 'strict' | 'lazy'; vcpus: number }[] = [];
// The estimate covers the NIC workloads; fio on NVMe has no closed form yet.
const NIC_PRESETS = PRESET_NAMES.filter((name) => findPreset(name)!.scenario.workload?.kind !== 'fio');
for (const name of NIC_PRESETS) for (const policy of ['strict', 'lazy'] as const) for (const vcpus of [1, 4, 16]) grid.push({ name, policy, vcpus });

for (const g of grid) {
  const scenario = preset(g.name, { ...run, policy: g.policy, ...n(g.vcpus) });
  const est = estimate(scenario, g.policy);
  const busiest = Math.max(...Object.values(est.servers));
  const label = `${g.name} ${g.policy} ${g.vcpus} vCPU${g.vcpus > 1 ? 's' : ''}`;
  test(label, () => {
    if (busiest > MAX_TRUSTED_UTILIZATION) {
      assert.equal(est.throughputGbps, null, `${label}: a server is ${busiest} busy, the estimate must not give a number`);
      assert.match(est.outOfRange ?? '', /^out of range: use the event model/);
      return;
    }
    assert.equal(est.outOfRange, null);
    const des = simulate(scenario);
    const ratio = est.throughputGbps! / des.throughputGbps;
    assert.ok(Math.abs(ratio - 1) <= 0.1, `${label}: analytic ${est.throughputGbps!.toFixed(2)} vs event model ${des.throughputGbps.toFixed(2)} Gbit/s (ratio ${ratio.toFixed(3)}; servers ${JSON.stringify(est.servers)})`);
  });
}

test('the event model serializes where the estimate has a server: two vCPUs give about what one gives when the server is very slow', () => {
  for (const [server, serializesThere] of Object.entries(serializingScenarios)) assert.ok(serializesThere(), `the event model does not serialize at ${server}`);
});

test('the estimate never gives zero or a negative rate where it gives a number', () => {
  for (const g of grid) {
    const e = estimate(preset(g.name, { ...run, policy: g.policy, ...n(g.vcpus) }), g.policy);
    if (e.throughputGbps !== null) assert.ok(e.throughputGbps > 0.1, `${g.name} ${g.policy} ${g.vcpus}: ${e.throughputGbps}`);
  }
});

test('one vCPU shares no server: the estimate is in range and close to the event model at any exit cost', () => {
  const s = preset('seed-before-fix', { ...run, ...n(1), costs: { exitRoundTripNs: 20000 } });
  const e = estimate(s, 'strict');
  assert.equal(e.outOfRange, null);
  assert.ok(Math.abs(e.throughputGbps! / gbps(s) - 1) < 0.05);
});
