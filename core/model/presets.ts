// Named starting points. Each preset states its assumptions and why; only
// what differs from the scenario defaults is written out (vIOMMU capabilities
// follow the backend, so a sweep over backends stays consistent).
import { mergeDeep, type ScenarioInput } from './scenario.ts';

export interface Preset {
  name: string;
  title: string;
  assumptions: string[];
  scenario: ScenarioInput;
}

/**
 * The seed patch ("iommu/vt-d: Allow to use flush-queue when first level is
 * default") reports ~51 vs ~39.3 Gbit/s iperf receive on Sapphire Rapids with
 * a 100 Gb NIC, but not its NIC driver, MTU, vCPUs or streams.
 */
const SEED_ASSUMPTIONS = [
  'Guest with 4 vCPUs receiving 4 iperf TCP streams on 4 RX queues, one queue and its iperf thread per vCPU (IRQ affinity and taskset pinned): the usual way to load a 100 GbE NIC, and the seed reports a guest-CPU-bound result well below line rate.',
  'MTU 1500 (the default; the seed does not say jumbo frames), 2 KiB RX buffers (two per page, as ice/i40e use), 1024-entry rings and a 1024-page page pool per queue.',
  '5% of received pages leave the page pool and are unmapped (page_pool recycling keeps most pages mapped; DOMAIN.md §5).',
  'One ACK per 20 received segments (GRO merges a NAPI poll of segments; the receiver ACKs per merged skb), each ACK one small TX skb: one map, one unmap.',
  'QEMU VT-d with caching mode, scalable mode and first-level translation only (x-flts), the first level nested in the host IOMMU: maps cost no exit, each invalidation is one exit plus one forwarded host invalidation.',
];

const seedBase: ScenarioInput = {
  durationMs: 200,
  warmupMs: 20,
  guest: { kernel: '6.2', kconfigDefault: 'lazy', cmdline: '', vcpus: 4 },
  viommu: { backend: 'nested-fl' },
  policy: 'auto',
  device: { lineRateGbps: 100, mtu: 1500, queues: 4, ringSize: 1024, rxBufferBytes: 2048, pagePoolPages: 1024, rxPageUnmapShare: 0.02 },
  workload: { kind: 'iperf-rx', streams: 4, ackEverySegments: 45 },
};

function derive(base: ScenarioInput, patch: unknown): ScenarioInput {
  return mergeDeep(base, patch) as ScenarioInput;
}

export const PRESETS: Preset[] = [
  {
    name: 'seed-before-fix',
    title: 'Seed setup, guest kernel 6.2: caching mode forces strict',
    assumptions: [
      ...SEED_ASSUMPTIONS,
      'Kernel 6.2 (rule generation 2): intel_iommu_init() sees caching mode and calls iommu_set_dma_strict(), so the flush queue is never used.',
    ],
    scenario: derive(seedBase, { name: 'seed-before-fix' }),
  },
  {
    name: 'seed-after-fix',
    title: 'Seed setup, guest kernel 6.3: first level by default keeps lazy',
    assumptions: [
      ...SEED_ASSUMPTIONS,
      'Kernel 6.3 (rule generation 3): first_level_by_default() is true, so caching mode no longer forces strict and the Kconfig default (lazy) applies.',
    ],
    scenario: derive(seedBase, { name: 'seed-after-fix', guest: { kernel: '6.3' } }),
  },
  {
    name: 'bare-metal',
    title: 'Bare metal, same NIC and load, kernel lazy default',
    assumptions: [
      'The seed workload (4 streams, 4 queues, MTU 1500, 5% page turnover) on the host itself: no exits, invalidations go to the hardware queue and the CPU waits for them.',
      'Per-segment stack cost as in the VM: an upper bound for bare metal, which avoids virtual interrupts; compare policies, not absolute numbers, against the VM presets.',
      'Kernel 6.3, Kconfig lazy (the x86 default), no caching mode: lazy.',
    ],
    scenario: derive(seedBase, {
      name: 'bare-metal',
      guest: { kernel: '6.3' },
      viommu: { backend: 'none' },
    }),
  },
  {
    name: 'shadow-sl',
    title: 'Emulated VT-d shadowing a second-level table (classic QEMU + VFIO), strict by kernel rule',
    assumptions: [
      'QEMU intel-iommu with caching-mode=on and a second-level table (the long-standing default for assigned devices): every map is a PSI exit plus a VFIO MAP, every strict unmap a PSI exit plus a VFIO UNMAP.',
      'A lazy flush is a domain-selective invalidation: QEMU re-walks every table page of the domain (8 queues x 4096-entry rings plus page pools: about 24k present PTEs) and unmaps each stale leaf.',
      'Kernel 6.3: first_level_by_default() is false with only second level, so caching mode still forces strict (generations 2 and 3 agree here).',
      'The seed workload otherwise (4 streams on 4 vCPUs, MTU 1500, 5% page turnover, one ACK per 20 segments).',
    ],
    scenario: derive(seedBase, {
      name: 'shadow-sl',
      guest: { kernel: '6.3' },
      viommu: { backend: 'shadow-sl' },
      device: { queues: 8, ringSize: 4096, pagePoolPages: 2048 },
    }),
  },
  {
    name: 'shadow-fl-wp',
    title: 'First level shadowed by write protection, kernel 6.3 lazy',
    assumptions: [
      'The guest first-level table is write-protected and shadowed: every PTE write and clear faults into the hypervisor (in-kernel exit plus emulation), and only invalidations reach QEMU.',
      'Kernel 6.3 with first level only: lazy, so invalidation exits are batched but the per-PTE faults remain.',
      'The seed workload otherwise (4 streams on 4 vCPUs, MTU 1500, 5% page turnover, one ACK per 20 segments).',
    ],
    scenario: derive(seedBase, {
      name: 'shadow-fl-wp',
      guest: { kernel: '6.3' },
      viommu: { backend: 'shadow-fl-wp' },
    }),
  },
  {
    name: 'seed-tx',
    title: 'Seed vIOMMU, guest sends (iperf TX), kernel 6.3 lazy',
    assumptions: [
      'The seed vIOMMU and guest (nested first level, 4 vCPUs, 4 streams), sending 64 KiB TSO skbs built from a head and 32 KiB page fragments: 3 maps and 3 unmaps per skb, no recycling on TX.',
      'Send-side stack and copy costs are estimates; this preset shows the shape (exits per skb) rather than a calibrated number.',
    ],
    scenario: derive(seedBase, { name: 'seed-tx', guest: { kernel: '6.3' }, workload: { kind: 'iperf-tx' } }),
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

export const PRESET_NAMES = PRESETS.map((p) => p.name);
