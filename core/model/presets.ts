// Named starting points. Each preset states its assumptions; the sentences
// that carry a number are written from the preset's own scenario values
// (`describeScenario`), so the text cannot drift from what runs. Only what
// differs from the scenario defaults is written out (vIOMMU capabilities
// follow the backend, so a sweep over backends stays consistent).
import { BACKEND_CAPS, mergeDeep, parseScenario, type Scenario, type ScenarioInput } from './scenario.ts';
import { GRO_MAX_BYTES, defaultTsqLimitBytes } from '../workloads/stack.ts';
import { mssBytes, rxBufferLayout } from '../workloads/context.ts';

export interface Preset {
  name: string;
  title: string;
  assumptions: string[];
  scenario: ScenarioInput;
}

const BACKEND_TEXT: Record<Scenario['viommu']['backend'], string> = {
  none: 'bare metal: no exits; each invalidation goes to the IOMMU\'s hardware queue and the CPU waits for it',
  'nested-fl': 'QEMU VT-d with caching mode, scalable mode and first-level translation only (x-flts), the first level nested in the host IOMMU: maps cost no exit, each invalidation is one exit plus one forwarded host invalidation',
  'shadow-sl': 'QEMU intel-iommu with caching mode and a second-level table shadowed through VFIO: every map is a PSI exit plus a VFIO MAP, every strict unmap a PSI exit plus a VFIO UNMAP, and a lazy flush a domain-selective invalidation in which QEMU re-walks every table page of the domain',
  'shadow-fl-wp': 'the guest first-level table write-protected and shadowed: every PTE write and clear faults into the hypervisor, and only invalidations reach QEMU',
  'virtio-iommu': 'virtio-iommu in QEMU with the device assigned through VFIO: no guest page table; every map and unmap is a request on the request virtqueue, a sync kicks it (an exit) and waits while QEMU maps or unmaps the host IOMMU through VFIO under its big lock',
};

const HARDWARE_TEXT = {
  vtd: 'the VT-d invalidation queue serves one descriptor plus wait descriptor after another per IOMMU unit',
  smmuv3: 'the SMMUv3 command queue serves one TLBI plus CMD_SYNC after another per SMMU, all CPUs sharing it',
} as const;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const kib = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`);
const percent = (x: number) => `${+(x * 100).toPrecision(3)}%`;

/** The assumption sentences that follow from a scenario's values, in a fixed order. */
export function describeScenario(input: ScenarioInput): string[] {
  const s = parseScenario(input);
  const d = s.device;
  const w = s.workload;
  const out: string[] = [];
  const bare = s.viommu.backend === 'none';
  const vcpuText = plural(s.guest.vcpus, bare ? 'CPU' : 'vCPU');
  const kernel = `${bare ? 'Kernel' : 'Guest kernel'} ${s.guest.kernel}`;
  const cpu = bare ? 'CPU' : 'vCPU';
  if (w.kind === 'fio') {
    const jobs = w.numjobs * d.drives;
    const mix = w.rw === 'randrw' ? ` (${w.rwmixread}% reads)` : '';
    out.push(
      `${kernel} with ${vcpuText} running fio ${w.rw}${mix}, bs ${kib(w.bs)}, iodepth ${w.iodepth}, ${plural(w.numjobs, 'job')} per drive on ${plural(d.drives, 'NVMe drive')}: ${plural(jobs, 'job')}, each pinned to its own ${cpu} and submitting on its own queue (${d.queuesPerDrive} per drive).`,
    );
    const pages = Math.ceil(w.bs / 4096);
    out.push(`Each I/O is one DMA map of ${plural(pages, 'page')} at submission and one unmap at completion (one IOVA range for the scatterlist).`);
    // Only the directions the workload uses.
    const reads = w.rw !== 'randwrite' && w.rw !== 'write' && !(w.rw === 'randrw' && w.rwmixread === 0);
    const writes = w.rw !== 'randread' && w.rw !== 'read' && !(w.rw === 'randrw' && w.rwmixread === 100);
    const mega = (x: number) => `${+(x / 1e6).toPrecision(4)}M`;
    const service = [reads ? `a read in ${d.readLatencyUs} us` : '', writes ? `a write in ${d.writeLatencyUs} us` : ''].filter(Boolean).join(' and ');
    const ceilings = [reads ? `${mega(d.maxReadIops)} read` : '', writes ? `${mega(d.maxWriteIops)} write` : ''].filter(Boolean).join(' and ');
    out.push(
      `Each drive serves ${service}, at most ${ceilings} IOPS and ${d.maxBandwidthMiBps} MiB/s; ${d.interruptCoalescingUs ? `interrupts coalesced over ${d.interruptCoalescingUs} us` : 'no interrupt coalescing (the Linux default)'}.`,
    );
  } else if (w.kind === 'iperf-rx') {
    out.push(
      `${kernel} with ${vcpuText} receiving ${plural(w.streams, 'iperf TCP stream')} on ${plural(d.queues, 'RX queue')}, each active queue and its iperf thread pinned to its own ${cpu}.`,
    );
    const layout = rxBufferLayout(d.mtu, d.rxBufferBytes);
    out.push(
      `MTU ${d.mtu} (${mssBytes(d.mtu)} B of TCP payload per segment), ${kib(d.rxBufferBytes)} RX buffers (${plural(layout.buffersPerUnit, 'buffer')} per mapping of ${plural(layout.pagesPerUnit, 'page')}), ${d.ringSize}-entry rings and a ${d.pagePoolPages}-page page pool per queue.`,
    );
    out.push(`${percent(d.rxPageUnmapShare)} of received pages leave the page pool and are unmapped; the others are recycled and stay mapped.`);
    out.push(
      w.ackEveryBytes >= GRO_MAX_BYTES
        ? `GRO merges up to ${kib(GRO_MAX_BYTES)} of a flow within a NAPI poll of up to ${d.napiBudget} segments, and the receiver sends one ACK per ${kib(GRO_MAX_BYTES)} of GRO (one per merged skb), each a small TX skb: one map, one unmap.`
        : `GRO merges up to ${kib(GRO_MAX_BYTES)} of a flow within a NAPI poll of up to ${d.napiBudget} segments, and the receiver sends one ACK per ${kib(w.ackEveryBytes)} of each merged skb (at least one per skb), each a small TX skb: one map, one unmap.`,
    );
  } else {
    out.push(
      `${kernel} with ${vcpuText} sending ${plural(w.streams, 'iperf TCP stream')} on ${plural(d.queues, 'TX queue')}, each active queue and its iperf thread pinned to its own ${cpu}.`,
    );
    const frags = Math.ceil(w.tsoBytes / w.fragBytes);
    out.push(
      `MTU ${d.mtu}; ${kib(w.tsoBytes)} TSO skbs built from a head and ${plural(frags, `${kib(w.fragBytes)} page fragment`)}: ${frags + 1} maps and ${frags + 1} unmaps per skb, no recycling on TX; ${d.ringSize}-descriptor TX rings.`,
    );
    const tsq = w.tsqLimitBytes ?? defaultTsqLimitBytes(s.guest.kernel);
    out.push(
      `TCP Small Queues let each socket keep ${kib(tsq)} below TCP (tcp_limit_output_bytes, ${w.tsqLimitBytes === undefined ? `the default of kernel ${s.guest.kernel}` : 'set by the scenario'}) until the TX clean frees it.`,
    );
    out.push(`The receiver ACKs every ${kib(Math.min(w.ackEveryBytes, GRO_MAX_BYTES))} it gets; ACKs arrive in recycled RX pages (no map or unmap).`);
  }
  const backendText = bare ? `${BACKEND_TEXT.none}; ${HARDWARE_TEXT[s.hardware.iommu]}${s.viommu.units > 1 ? `, ${s.viommu.units} units with the drives spread over them` : ''}` : BACKEND_TEXT[s.viommu.backend];
  out.push(`${backendText[0]!.toUpperCase()}${backendText.slice(1)}.`);
  const caps = BACKEND_CAPS[s.viommu.backend];
  const v = s.viommu;
  if (v.cachingMode !== caps.cachingMode || v.firstLevel !== caps.firstLevel || v.secondLevel !== caps.secondLevel || v.scalableMode !== caps.scalableMode) {
    out.push(`vIOMMU capabilities set by the scenario: caching mode ${v.cachingMode ? 'on' : 'off'}, scalable mode ${v.scalableMode ? 'on' : 'off'}, first level ${v.firstLevel ? 'on' : 'off'}, second level ${v.secondLevel ? 'on' : 'off'}.`);
  }
  if (s.policy !== 'auto') out.push(`Policy forced to ${s.policy} by the scenario, whatever the kernel's rules decide.`);
  if (s.viommu.backend === 'virtio-iommu') out.push(s.viommu.iotlbSyncMap ? 'Each map is synced at once (iotlb_sync_map).' : 'Maps are not synced on their own: their requests wait for the next sync (a what-if; Linux syncs after each map).');
  if (s.flushQueue.kind === 'single') out.push(`One single flush queue of ${s.flushQueue.size} slots with a ${s.flushQueue.timeoutMs} ms timer.`);
  return out;
}

/** A preset from its scenario and the reasons behind it (sentences without values of their own). */
function preset(name: string, title: string, scenario: ScenarioInput, why: string[]): Preset {
  return { name, title, scenario, assumptions: [...describeScenario(scenario), ...why] };
}

/**
 * The seed patch ("iommu/vt-d: Allow to use flush-queue when first level is
 * default") reports ~51 vs ~39.3 Gbit/s iperf receive on Sapphire Rapids with
 * a 100 Gb NIC, but not its NIC driver, MTU, vCPUs or streams.
 */
const SEED_WHY = [
  'The seed reports neither its NIC driver, MTU, vCPUs nor streams: several streams on as many vCPUs is the usual way to load a 100 GbE NIC, and the seed reports a guest-CPU-bound result well below line rate.',
  'Page recycling follows the page_pool of current drivers (ice, i40e): most pages stay mapped (DOMAIN.md §5).',
];

const seedBase: ScenarioInput = {
  durationMs: 200,
  warmupMs: 20,
  guest: { kernel: '6.2', kconfigDefault: 'lazy', cmdline: '', vcpus: 4 },
  viommu: { backend: 'nested-fl' },
  policy: 'auto',
  device: { lineRateGbps: 100, mtu: 1500, queues: 4, ringSize: 1024, rxBufferBytes: 2048, pagePoolPages: 1024, rxPageUnmapShare: 0.02 },
  workload: { kind: 'iperf-rx', streams: 4, ackEveryBytes: 65536 },
};

function derive(base: ScenarioInput, patch: unknown): ScenarioInput {
  return mergeDeep(base, patch) as ScenarioInput;
}

export const PRESETS: Preset[] = [
  preset('seed-before-fix', 'Seed setup, guest kernel 6.2: caching mode forces strict', derive(seedBase, { name: 'seed-before-fix' }), [
    ...SEED_WHY,
    'Rule generation 2 (kernel 6.2): intel_iommu_init() sees caching mode and calls iommu_set_dma_strict(), so the flush queue is never used.',
  ]),
  preset('seed-after-fix', 'Seed setup, guest kernel 6.3: first level by default keeps lazy', derive(seedBase, { name: 'seed-after-fix', guest: { kernel: '6.3' } }), [
    ...SEED_WHY,
    'Rule generation 3 (kernel 6.3): first_level_by_default() is true, so caching mode no longer forces strict and the Kconfig default (lazy) applies.',
  ]),
  preset(
    'bare-metal',
    'Bare metal, same NIC and load, kernel lazy default',
    derive(seedBase, { name: 'bare-metal', guest: { kernel: '6.3' }, viommu: { backend: 'none' } }),
    [
      'Stack costs as in the VM: an upper bound for bare metal, which avoids virtual interrupts; compare policies, not absolute numbers, against the VM presets.',
      'Kconfig lazy (the x86 default) and no caching mode: lazy.',
    ],
  ),
  preset(
    'shadow-sl',
    'Emulated VT-d shadowing a second-level table (classic QEMU + VFIO), strict by kernel rule',
    derive(seedBase, { name: 'shadow-sl', guest: { kernel: '6.3' }, viommu: { backend: 'shadow-sl' }, device: { queues: 8, ringSize: 4096, pagePoolPages: 2048 } }),
    [
      'A second-level table is the long-standing default of QEMU for assigned devices; larger rings and pools give QEMU more present PTEs to walk on each domain flush.',
      'first_level_by_default() is false with only second level, so caching mode still forces strict (rule generations 2 and 3 agree here).',
    ],
  ),
  preset(
    'shadow-fl-wp',
    'First level shadowed by write protection, kernel 6.3 lazy',
    derive(seedBase, { name: 'shadow-fl-wp', guest: { kernel: '6.3' }, viommu: { backend: 'shadow-fl-wp' } }),
    ['First level only: the kernel keeps lazy, so invalidation exits are batched but the per-PTE faults remain.'],
  ),
  preset(
    'seed-tx',
    'Seed vIOMMU, guest sends (iperf TX), kernel 6.3 lazy',
    derive(seedBase, { name: 'seed-tx', guest: { kernel: '6.3' }, workload: { kind: 'iperf-tx', streams: 1 } }),
    [
      'The send result of the same series ("[PATCH 2/4] iommu/vt-d: Avoid superfluous IOTLB tracking in lazy mode", ~54 Gbit/s lazy) does not give its streams: this preset assumes iperf3\'s default of one stream, which one vCPU drives below line rate; several streams would fill the link.',
      'Send-side per-skb work is fitted to that result; the copy from user space uses the same per-byte cost as the receive copy.',
    ],
  ),
];

/**
 * NVIDIA NV-Kernels PR #182 reports 8 NVMe drives on Grace (SMMUv3), 4 KiB
 * random reads: passthrough 16.5M, lazy 16.4M, strict 2.8M IOPS; it does not
 * give its fio job layout, queue depth or SMMU topology.
 */
const nvmeBareMetal: ScenarioInput = {
  name: 'nvme-bare-metal',
  durationMs: 30,
  warmupMs: 5,
  guest: { kernel: '6.8', kconfigDefault: 'strict', cmdline: '', vcpus: 72 },
  viommu: { backend: 'none', units: 1 },
  hardware: { iommu: 'smmuv3' },
  policy: 'auto',
  device: { kind: 'nvme', drives: 8, queuesPerDrive: 72, readLatencyUs: 80, maxReadIops: 2_062_500, maxBandwidthMiBps: 14_000 },
  workload: { kind: 'fio', rw: 'randread', bs: 4096, iodepth: 32, numjobs: 8 },
};

const nvmeVm: ScenarioInput = {
  durationMs: 40,
  warmupMs: 5,
  guest: { kernel: '6.8', kconfigDefault: 'lazy', cmdline: '', vcpus: 4 },
  policy: 'auto',
  device: { kind: 'nvme', drives: 1, queuesPerDrive: 4 },
  workload: { kind: 'fio', rw: 'randread', bs: 4096, iodepth: 32, numjobs: 4 },
};

PRESETS.push(
  preset('nvme-bare-metal', 'Bare metal Grace (SMMUv3), 8 NVMe drives, fio 4 KiB random read', nvmeBareMetal, [
    'The setup of NVIDIA NV-Kernels PR #182 (passthrough 16.5M / lazy 16.4M / strict 2.8M IOPS), which does not give its fio jobs, queue depth or SMMU layout: the jobs, depth and single SMMU above are this preset\'s assumptions, on a 72-core Grace.',
    'The drives\' read ceiling is the published passthrough figure over 8 drives, so passthrough is fitted; arm64 kernels default to strict (CONFIG_IOMMU_DEFAULT_DMA_STRICT), so auto runs strict.',
  ]),
  preset('nvme-virtio-iommu', 'VM with an assigned NVMe drive behind virtio-iommu, guest 6.8 lazy', derive(nvmeVm, { name: 'nvme-virtio-iommu', viommu: { backend: 'virtio-iommu' } }), [
    'Guest 6.8 has virtio-iommu\'s deferred flush (v6.7), so the x86 lazy default holds, with the single flush queue (shadow_on_flush); exit and VFIO costs are the NIC calibration\'s, unfitted.',
  ]),
  preset('nvme-nested-fl', 'VM with an assigned NVMe drive behind a nested first-level VT-d, guest 6.8 lazy', derive(nvmeVm, { name: 'nvme-nested-fl', viommu: { backend: 'nested-fl' } }), [
    'The seed\'s vIOMMU with an NVMe drive instead of the NIC: the first-level table keeps caching mode from forcing strict (rule generation 3), so the x86 lazy default holds.',
  ]),
);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

export const PRESET_NAMES = PRESETS.map((p) => p.name);
