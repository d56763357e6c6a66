// The closed-form estimate against the event model over a grid of presets x
// policies x vCPUs: within 10% wherever no serialization point is above 90%
// busy, and an explicit "out of range" instead of a number elsewhere.
//
// The estimate models every serialization point of the real system (q_lock,
// the bare-metal hardware queue, the single queue's fq->lock). Whether the
// event model has each of them is probed on the event model itself; where it
// lacks one that the grid point loads, the point is reported as a todo (it
// disagrees by construction) instead of failing, and it turns into a checked
// point as soon as the event model gains the mechanism.
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
const engineHas: Record<ServerName, boolean> = {
  bql: true,
  qLock: serializes(preset('seed-before-fix', mergeDeep(heavyExit, n(1))), preset('seed-before-fix', mergeDeep(heavyExit, n(2)))),
  hwQueue: serializes(preset('bare-metal', mergeDeep(heavyHw, n(1))), preset('bare-metal', mergeDeep(heavyHw, n(2)))),
  fqLock: serializes(
    preset('seed-after-fix', mergeDeep({ ...run, policy: 'lazy', flushQueue: { kind: 'single', size: 64 }, costs: { exitRoundTripNs: 200000 } }, n(1))),
    preset('seed-after-fix', mergeDeep({ ...run, policy: 'lazy', flushQueue: { kind: 'single', size: 64 }, costs: { exitRoundTripNs: 200000 } }, n(2))),
  ),
};

/**
 * Points where the two models part for a reason in the event model, named here
 * so they stay visible: with one vCPU the lazy timer flush runs as a second
 * process on the same vCPU, and the workload's own exits queue behind its
 * multi-ms DSI at QEMU's lock (13% of the time), which a single CPU cannot do.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {
  'shadow-sl lazy 1 vCPU': 'the event model lets the timer flush and the workload of one vCPU queue for the BQL against each other',
};

const grid: { name: string; policy: 'strict' | 'lazy'; vcpus: number }[] = [];
// The estimate covers the NIC workloads; fio on NVMe has no closed form yet.
const NIC_PRESETS = PRESET_NAMES.filter((name) => findPreset(name)!.scenario.workload?.kind !== 'fio');
for (const name of NIC_PRESETS) for (const policy of ['strict', 'lazy'] as const) for (const vcpus of [1, 4, 16]) grid.push({ name, policy, vcpus });

for (const g of grid) {
  const scenario = preset(g.name, { ...run, policy: g.policy, ...n(g.vcpus) });
  const est = estimate(scenario, g.policy);
  const busiest = Math.max(...Object.values(est.servers));
  // One vCPU never waits for itself: a missing server only matters with several.
  const missing = g.vcpus > 1 ? (Object.keys(est.servers) as ServerName[]).filter((k) => !engineHas[k] && est.servers[k] > 0.05) : [];
  const label = `${g.name} ${g.policy} ${g.vcpus} vCPU${g.vcpus > 1 ? 's' : ''}`;
  const todo = missing.length ? `the event model has no ${missing.join(', ')} yet` : KNOWN_DISAGREEMENTS[label];
  test(label, { todo }, () => {
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
