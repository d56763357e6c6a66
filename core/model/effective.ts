// What a run really does, from the scenario and the guest kernel's decision:
// the DMA mode (the kernel's own, or the scenario's what-if, with warnings
// when the kernel could not get there), and the VMM path the guest's page
// table takes on the host the scenario describes (DOMAIN.md §4, last
// paragraph): `viommu.backend` is what the host offers, not what is used.
import type { DmaMode } from '../guest/dma.ts';
import { kernelFacts, resolvePolicy, resolveSmmuV3Policy, resolveVirtioIommuPolicy, type DmaPathFacts, type PageTable, type PolicyDecision } from '../policy/index.ts';
import type { Backend, Scenario } from './scenario.ts';
import type { Warning } from './warnings.ts';

/** The cost path of a run: one of the backends, or no IOMMU work at all. */
export type VmmPathKind = Backend | 'identity';

export interface VmmPath {
  path: VmmPathKind;
  /** The table the guest's DMA domain uses ('none' for identity). */
  pageTable: PageTable;
  reason: string;
}

export interface EffectivePolicy {
  mode: DmaMode;
  /** 'auto' when the guest kernel's rules decided, 'scenario' when the scenario's policy ran. */
  source: 'auto' | 'scenario';
  warnings: Warning[];
}

export function scenarioPolicyInput(s: Scenario, cmdline = s.guest.cmdline) {
  return {
    kernel: s.guest.kernel,
    kconfigDefault: s.guest.kconfigDefault,
    cmdline,
    caps: {
      cachingMode: s.viommu.cachingMode,
      scalableMode: s.viommu.scalableMode,
      firstLevel: s.viommu.firstLevel,
      secondLevel: s.viommu.secondLevel,
    },
    untrusted: s.guest.untrusted,
  };
}

export function resolveScenarioPolicy(s: Scenario, cmdline = s.guest.cmdline): PolicyDecision {
  const input = scenarioPolicyInput(s, cmdline);
  if (s.viommu.backend === 'virtio-iommu') return resolveVirtioIommuPolicy(input);
  if (s.viommu.backend === 'none' && s.hardware.iommu === 'smmuv3') return resolveSmmuV3Policy(input);
  return resolvePolicy(input);
}

/** The mode the kernel's own decision gives the device. */
export function decisionMode(d: PolicyDecision): DmaMode {
  if (d.domainType === 'identity') return 'passthrough';
  return d.domainType === 'dma-fq' ? 'lazy' : 'strict';
}

// Command-line tokens that ask for each mode, appended last so they win over
// earlier ones (early parameters are applied left to right).
const ASK_FOR: Record<DmaMode, string> = {
  strict: 'iommu.passthrough=0 intel_iommu=strict',
  lazy: 'iommu.passthrough=0 iommu.strict=0',
  passthrough: 'iommu.passthrough=1',
};

// The scenario's command line without intel_iommu=strict, which no later token can undo.
function withoutIntelStrict(cmdline: string): string {
  return cmdline
    .split(/\s+/)
    .map((token) => {
      if (!token.startsWith('intel_iommu=')) return token;
      const options = token.slice('intel_iommu='.length).split(',').filter((o) => o !== 'strict');
      return options.length ? `intel_iommu=${options.join(',')}` : '';
    })
    .filter(Boolean)
    .join(' ');
}

/** The decision the guest reaches when its command line asks for `mode` as hard as it can. */
export function bestCmdlineDecision(s: Scenario, mode: DmaMode): PolicyDecision {
  // virtio-iommu and SMMUv3 ignore intel_iommu=: strict comes from iommu.strict=1 there.
  const vtd = s.viommu.backend !== 'virtio-iommu' && !(s.viommu.backend === 'none' && s.hardware.iommu === 'smmuv3');
  const ask = !vtd && mode === 'strict' ? 'iommu.passthrough=0 iommu.strict=1' : ASK_FOR[mode];
  return resolveScenarioPolicy(s, `${withoutIntelStrict(s.guest.cmdline)} ${ask}`.trim());
}

function unreachableWhy(s: Scenario, d: PolicyDecision, mode: DmaMode): string {
  if (mode === 'lazy' && s.viommu.backend === 'virtio-iommu' && d.dmaRemapping) {
    return 'its virtio-iommu driver has no deferred flush before v6.7 (IOMMU_CAP_DEFERRED_FLUSH), so DMA_FQ ends strict';
  }
  if (mode === 'lazy' && d.forcedStrict && s.viommu.cachingMode) {
    const fix = d.generation === 3 ? ' with a second-level table' : '';
    return `caching mode forces strict on this generation-${d.generation} guest${fix}: iommu_set_dma_strict() wins over iommu.strict=0`;
  }
  if (!d.dmaRemapping) return 'DMA remapping is off';
  return `with "${ASK_FOR[mode]}" its command line still resolves to ${decisionMode(d)}`;
}

/**
 * The DMA mode a run uses. An explicit policy runs as asked (the lab's what-if),
 * except that an untrusted device stays strict, as in the kernel, unless the
 * scenario sets `forcePolicy`.
 */
export function effectivePolicy(s: Scenario, decision: PolicyDecision): EffectivePolicy {
  const kernelMode = decisionMode(decision);
  if (s.policy === 'auto') return { mode: kernelMode, source: 'auto', warnings: [] };
  const asked: DmaMode = s.policy;
  if (asked === kernelMode) return { mode: asked, source: 'scenario', warnings: [] };
  if (s.guest.untrusted && asked !== 'strict') {
    const rule = 'the kernel never gives an untrusted (external-facing) device DMA_FQ or identity (iommu_get_def_domain_type())';
    if (!s.forcePolicy) {
      return {
        mode: 'strict',
        source: 'auto',
        warnings: [{ code: 'untrusted-policy-refused', message: `policy ${asked} ran strict: ${rule}; set forcePolicy: true to run ${asked} as a what-if` }],
      };
    }
    return {
      mode: asked,
      source: 'scenario',
      warnings: [{ code: 'untrusted-policy-forced', message: `policy ${asked} forced on an untrusted device: ${rule}, so no real guest runs this` }],
    };
  }
  const best = bestCmdlineDecision(s, asked);
  if (decisionMode(best) === asked) return { mode: asked, source: 'scenario', warnings: [] };
  return {
    mode: asked,
    source: 'scenario',
    warnings: [{
      code: 'policy-unreachable',
      message: `policy ${asked} is a what-if: the v${s.guest.kernel} guest cannot reach it from its command line (${unreachableWhy(s, best, asked)}); it runs as asked`,
    }],
  };
}

export interface VmmPathProblem {
  path: string;
  message: string;
}

function tableWhy(d: PolicyDecision): string {
  const reason = d.reasons.find((r) => r.source === 'first_level_by_default()');
  return (reason?.text.split(';')[0] ?? (d.scalableMode ? 'scalable mode' : 'legacy mode')).trim();
}

/**
 * Which path the guest's DMA domain takes on this host, or why it cannot
 * exist. `mode` is the run's effective mode.
 */
export function vmmPathOrProblem(s: Scenario, decision: PolicyDecision, mode: DmaMode): { path: VmmPath } | { problem: VmmPathProblem } {
  const host = s.viommu.backend;
  if (!decision.dmaRemapping) {
    if (mode !== 'passthrough') {
      return { problem: { path: 'policy', message: `${mode} needs DMA remapping, which this guest's command line turns off (${remappingOffWhy(decision)}): use auto or passthrough` } };
    }
    return { path: { path: 'identity', pageTable: 'none', reason: `no DMA remapping (${remappingOffWhy(decision)}): devices DMA to physical addresses, no IOMMU work` } };
  }
  if (mode === 'passthrough') {
    return { path: { path: 'identity', pageTable: 'none', reason: 'identity domain (passthrough): dma-direct, no IOVA, no page table, no invalidation' } };
  }
  const table = decision.dmaPageTable;
  const why = tableWhy(decision);
  if (host === 'none') {
    if (s.hardware.iommu === 'smmuv3') {
      return { path: { path: 'none', pageTable: table, reason: 'bare metal: the SMMUv3 walks the stage-1 table; invalidations go to its command queue (TLBI plus CMD_SYNC), served in order per SMMU' } };
    }
    return { path: { path: 'none', pageTable: table, reason: `bare metal: the hardware IOMMU walks the ${table} table (${why}); invalidations go to the VT-d invalidation queue (wait descriptor), served in order per unit` } };
  }
  if (host === 'virtio-iommu') {
    return {
      path: {
        path: 'virtio-iommu',
        pageTable: 'none',
        reason: `virtio-iommu: no guest page table; each map and unmap is a request on the request virtqueue, a sync kicks it (an exit) and waits while QEMU maps or unmaps the host IOMMU through VFIO${s.viommu.iotlbSyncMap ? '; maps sync at once (iotlb_sync_map)' : '; maps stay queued until the next sync'}`,
      },
    };
  }
  if (table === 'second-level') {
    if (!s.viommu.cachingMode) {
      return {
        problem: {
          path: 'viommu.cachingMode',
          message: `the guest uses a second-level table (${why}); a VMM can only follow it for an assigned device by shadowing, which needs caching mode (QEMU refuses caching-mode=off there)`,
        },
      };
    }
    const offered = host === 'shadow-sl' ? '' : `, whatever the host offers (${host})`;
    return {
      path: {
        path: 'shadow-sl',
        pageTable: table,
        reason: `the guest uses a second-level table (${why}); under caching mode QEMU shadows it${offered}: a PSI exit and a VFIO MAP per map, a DSI full walk per lazy flush`,
      },
    };
  }
  if (host === 'shadow-sl') {
    return {
      problem: {
        path: 'viommu.firstLevel',
        message: `backend shadow-sl shadows second-level tables only, but the guest would use the first level (${why}): set viommu.firstLevel=false, or choose nested-fl or shadow-fl-wp`,
      },
    };
  }
  const how = host === 'nested-fl'
    ? 'the host IOMMU translates it nested: maps cost no exit, invalidations are forwarded'
    : 'the host write-protects and shadows it: a fault per PTE write, invalidations exit to QEMU';
  return { path: { path: host, pageTable: table, reason: `the guest uses a first-level table (${why}); ${how}` } };
}

function remappingOffWhy(d: PolicyDecision): string {
  const reason = d.reasons.find((r) => r.source === 'intel_iommu_init()' && r.text.includes('no DMA remapping'));
  return reason ? reason.text.split(':')[0]!.trim() : 'DMA remapping disabled';
}

export function effectiveVmmPath(s: Scenario, decision: PolicyDecision, mode: DmaMode): VmmPath {
  const r = vmmPathOrProblem(s, decision, mode);
  if ('problem' in r) throw new Error(`${r.problem.path}: ${r.problem.message}`);
  return r.path;
}

/** Warnings about the guest DMA path of this kernel release that the run's mechanisms imply. */
export function dmaPathWarnings(s: Scenario, facts: DmaPathFacts, mode: DmaMode): Warning[] {
  const warnings: Warning[] = [];
  // virtio-iommu sets shadow_on_flush from v6.7: the single queue is what the kernel does there.
  const shadowOnFlush = s.viommu.backend === 'virtio-iommu' && facts.singleFlushQueue;
  if (mode === 'lazy' && s.flushQueue.kind === 'single' && !shadowOnFlush) {
    const why = !facts.singleFlushQueue
      ? `v${s.guest.kernel} has no single flush queue (it arrived in v6.7)`
      : 'the single queue is only for drivers with shadow_on_flush (s390, virtio-iommu); VT-d keeps per-CPU queues';
    warnings.push({ code: 'single-queue-what-if', message: `flushQueue.kind single is a what-if: ${why}` });
  }
  if (s.guest.untrusted && mode !== 'passthrough') {
    warnings.push({
      code: 'untrusted-bounce-not-modelled',
      message: 'untrusted device: sub-page and unaligned buffers bounce through swiotlb (a copy on map and unmap); the model does not charge that copy',
    });
  }
  return warnings;
}

/** Release facts of the guest DMA path (IOVA depot, flush queues, lazy gather tracking). */
export function guestDmaPathFacts(decision: PolicyDecision): DmaPathFacts {
  return kernelFacts(decision.kernel).dmaPath;
}
