// The network stack by byte, packet and skb: GRO and ACK cadence follow bytes,
// the receive copy scales with the MTU, TSQ bounds what a sender has below
// TCP, and preset texts follow their values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../core/simulate.ts';
import { describeScenario, findPreset, PRESETS } from '../../core/model/presets.ts';
import { mergeDeep, parseScenario, type ScenarioInput } from '../../core/model/scenario.ts';
import { defaultTsqLimitBytes, groPoll, GRO_MAX_BYTES } from '../../core/workloads/stack.ts';
import { tsqSkbsPerQueue } from '../../core/workloads/iperf-tx.ts';

const preset = (name: string, patch: unknown = {}) => mergeDeep(findPreset(name)!.scenario, patch) as ScenarioInput;
const short = { durationMs: 40, warmupMs: 5 };

test('GRO merges up to 64 KiB of a flow within a poll and the receiver ACKs each merged skb', () => {
  // 64 segments of 1448 B, one flow: 45 fill one 64 KiB skb, the poll's end flushes the other 19.
  assert.deepEqual(groPoll(64, 1, 1448, 65536), { skbs: 2, acks: 2 });
  // MTU 9000: 7 segments of 8948 B per skb.
  assert.deepEqual(groPoll(64, 1, 8948, 65536), { skbs: 10, acks: 10 });
  // Two flows share a poll: each merges its own segments.
  assert.deepEqual(groPoll(64, 2, 1448, 65536), { skbs: 2, acks: 2 });
  assert.deepEqual(groPoll(64, 4, 1448, 65536), { skbs: 4, acks: 4 });
  // An ACK per 16 KiB: a full 64 KiB skb (65160 B) asks for four.
  assert.equal(groPoll(45, 1, 1448, 16384).acks, 4);
  assert.equal(Math.floor(GRO_MAX_BYTES / 1448), 45);
});

test('ACKs follow GRO bytes: the same poll of segments sends far fewer ACKs at MTU 1500 than a segment count of 20 would', () => {
  const r = simulate(preset('seed-after-fix', short));
  // ACK maps + page-pool replacement maps per segment: 2 ACKs per 64-segment poll plus 2% of half a page.
  const mapsPerSegment = r.dma.mapsPerSec / r.packetsPerSec;
  assert.ok(Math.abs(mapsPerSegment - (2 / 64 + 0.02 / 2)) < 0.004, `maps per segment ${mapsPerSegment}`);
  const smallAcks = simulate(preset('seed-after-fix', { ...short, workload: { ackEveryBytes: 8192 } }));
  assert.ok(smallAcks.dma.mapsPerSec / smallAcks.packetsPerSec > 3 * mapsPerSegment, 'ACKs per 8 KiB of GRO multiply the maps');
});

test('one bare-metal core at MTU 9000 stays near the published ~42 Gbit/s, and the copy is about half of its cycles', () => {
  const r = simulate(preset('bare-metal', { ...short, policy: 'passthrough', guest: { vcpus: 1 }, device: { mtu: 9000, queues: 1 }, workload: { streams: 1 } }));
  assert.ok(r.throughputGbps > 42 * 0.75 && r.throughputGbps < 42 * 1.25, `${r.throughputGbps} Gbit/s`);
  const costs = parseScenario(preset('bare-metal')).costs;
  const copyShare = ((r.packetsPerSec * 8948) / 1024) * costs.userCopyNsPerKiB / 1e9;
  assert.ok(copyShare > 0.35 && copyShare < 0.65, `copy share ${copyShare}`);
  // At MTU 1500 the same core moves fewer bytes: per-packet work weighs more.
  const small = simulate(preset('bare-metal', { ...short, policy: 'passthrough', guest: { vcpus: 1 }, device: { queues: 1 }, workload: { streams: 1 } }));
  assert.ok(small.throughputGbps < 0.8 * r.throughputGbps, `MTU 1500 ${small.throughputGbps} vs MTU 9000 ${r.throughputGbps}`);
});

test('receive cost is per byte: a dearer copy slows one core in proportion to its share', () => {
  const base = preset('bare-metal', { ...short, policy: 'passthrough', guest: { vcpus: 1 }, device: { mtu: 9000, queues: 1 }, workload: { streams: 1 } });
  const a = simulate(base).throughputGbps;
  const b = simulate(mergeDeep(base, { costs: { userCopyNsPerKiB: 200 } })).throughputGbps;
  assert.ok(b < 0.75 * a, `copy x2: ${b} vs ${a}`);
});

test('tcp_limit_output_bytes defaults by kernel version', () => {
  assert.equal(defaultTsqLimitBytes('3.10'), 131072);
  assert.equal(defaultTsqLimitBytes('4.4'), 262144);
  assert.equal(defaultTsqLimitBytes('4.19.200'), 262144);
  assert.equal(defaultTsqLimitBytes('4.20'), 1048576);
  assert.equal(defaultTsqLimitBytes('6.3'), 1048576);
  assert.equal(defaultTsqLimitBytes('6.16'), 4194304);
  assert.equal(tsqSkbsPerQueue(1048576, 65536, 1), 16);
  assert.equal(tsqSkbsPerQueue(65536, 65536, 2), 2);
});

test('TSQ throttles a sender whose completions are cleaned late', () => {
  // Completions come back only every 200 us (interrupt moderation): a 64 KiB TSQ
  // budget stalls the socket between them, the default 1 MiB does not.
  const slow = { ...short, device: { interruptModerationUs: 200 } };
  const tight = simulate(preset('seed-tx', { ...slow, workload: { tsqLimitBytes: 65536 } }));
  const roomy = simulate(preset('seed-tx', slow));
  assert.ok(tight.throughputGbps < 0.5 * roomy.throughputGbps, `TSQ 64 KiB ${tight.throughputGbps} vs 1 MiB ${roomy.throughputGbps}`);
  assert.ok(tight.cpu.activeUtilization < 0.6, `the throttled sender idles: ${tight.cpu.activeUtilization}`);
});

test('send costs per byte and per skb: bigger TSO skbs amortize the per-skb work', () => {
  const big = simulate(preset('seed-tx', short)).throughputGbps;
  const small = simulate(preset('seed-tx', { ...short, workload: { tsoBytes: 16384, fragBytes: 16384 } })).throughputGbps;
  assert.ok(small < big, `16 KiB skbs ${small} vs 64 KiB ${big}`);
});

test('preset texts are written from their values: change a value and the text follows', () => {
  for (const p of PRESETS) assert.deepEqual(p.assumptions.slice(0, describeScenario(p.scenario).length), describeScenario(p.scenario), p.name);
  const seed = findPreset('seed-after-fix')!;
  const text = seed.assumptions.join('\n');
  assert.match(text, /2% of received pages leave the page pool/);
  assert.match(text, /one ACK per 64 KiB of GRO/);
  assert.match(text, /4 vCPUs receiving 4 iperf TCP streams on 4 RX queues/);
  const changed = describeScenario(mergeDeep(seed.scenario, { device: { rxPageUnmapShare: 0.05, mtu: 9000 }, workload: { ackEveryBytes: 16384 } }) as ScenarioInput).join('\n');
  assert.match(changed, /5% of received pages leave the page pool/);
  assert.match(changed, /MTU 9000 \(8948 B of TCP payload/);
  assert.match(changed, /one ACK per 16 KiB of each merged skb/);
  assert.doesNotMatch(changed, /2% of received pages/);
  const tx = findPreset('seed-tx')!.assumptions.join('\n');
  assert.match(tx, /1 iperf TCP stream on 4 TX queues/);
  assert.match(tx, /1024 KiB below TCP \(tcp_limit_output_bytes, the default of kernel 6\.3\)/);
});
