// Resolves the default DMA domain of a guest device behind a virtual VT-d,
// step by step in boot order: Kconfig, command line, iommu_subsys_init()
// (subsys_initcall), intel_iommu_init() (rootfs_initcall, so its caching-mode
// line follows the iommu lines in dmesg), then device probe.

import type { FirstLevelChoice } from './first-level.ts';
import { firstLevelByDefault } from './first-level.ts';
import type { KernelFacts } from './kernel-facts.ts';
import { CM_RULE_COMMIT, FIRST_LEVEL_EXEMPTION_COMMIT, kernelFacts, NEWEST_KNOWN_RELEASE } from './kernel-facts.ts';
import type { CmdlineEffects } from './params.ts';
import { applyCmdline } from './params.ts';
import { Trace } from './trace.ts';
import type { DomainType, KconfigDefault, PageTable, PolicyDecision, PolicyInput, ViommuCaps } from './types.ts';
import { compareVersions, parseKernelVersion } from './version.ts';

const KCONFIG_DEFAULTS: readonly KconfigDefault[] = ['strict', 'lazy', 'passthrough'];
const CAP_FIELDS: readonly (keyof ViommuCaps)[] = ['cachingMode', 'scalableMode', 'firstLevel', 'secondLevel'];
const CMDLINE_SUFFIX = ' (set via kernel command line)';

function assertPolicyInput(input: PolicyInput): void {
  if (!KCONFIG_DEFAULTS.includes(input.kconfigDefault)) {
    throw new Error(`kconfigDefault: expected one of ${KCONFIG_DEFAULTS.join(', ')}; got ${JSON.stringify(input.kconfigDefault)}`);
  }
  if (typeof input.cmdline !== 'string') throw new Error('cmdline: expected a string (may be empty)');
  if (typeof input.untrusted !== 'boolean') throw new Error('untrusted: expected true or false');
  for (const field of CAP_FIELDS) {
    if (typeof input.caps?.[field] !== 'boolean') throw new Error(`caps.${field}: expected true or false`);
  }
}

interface KconfigDefaults {
  passthrough: boolean;
  strict: boolean;
}

function applyKconfig(kconfig: KconfigDefault, facts: KernelFacts, trace: Trace): KconfigDefaults {
  if (kconfig === 'passthrough') {
    trace.reason('CONFIG_IOMMU_DEFAULT_PASSTHROUGH', facts.dmaStrictnessKconfig
      ? 'default domain identity; iommu_dma_strict starts false, so DMA domains would be lazy'
      : 'default domain identity; VT-d DMA domains would be lazy (intel_iommu_strict = 0)');
    return { passthrough: true, strict: false };
  }
  if (facts.dmaStrictnessKconfig) {
    const strict = kconfig === 'strict';
    trace.reason(strict ? 'CONFIG_IOMMU_DEFAULT_DMA_STRICT' : 'CONFIG_IOMMU_DEFAULT_DMA_LAZY',
      strict ? 'iommu_dma_strict starts true: DMA domains invalidate on every unmap' : 'iommu_dma_strict starts false: DMA domains use a flush queue (DMA_FQ)');
    return { passthrough: false, strict };
  }
  if (kconfig === 'strict') {
    trace.warn('kconfigDefault "strict": CONFIG_IOMMU_DEFAULT_DMA_STRICT only exists from v5.15; resolved with this kernel\'s lazy default');
  }
  trace.reason('intel_iommu_strict', 'no DMA strictness choice in Kconfig before v5.15; VT-d starts lazy (intel_iommu_strict = 0)');
  return { passthrough: false, strict: false };
}

// Strictness once the command line is parsed, before the caching-mode rule.
function strictnessBeforeDriver(facts: KernelFacts, kconfig: KconfigDefaults, cmd: CmdlineEffects): boolean {
  if (cmd.intelStrict) return true;
  if (facts.dmaStrictnessKconfig) return cmd.strict?.value ?? kconfig.strict;
  // v5.13-v5.14: intel_iommu_init() calls iommu_set_dma_strict(intel_iommu_strict),
  // which only keeps iommu_dma_strict when iommu.strict= was given.
  if (facts.vtdHonoursIommuStrict) return cmd.strict?.value ?? false;
  return false;
}

// iommu_subsys_init(): resolves the default domain type and logs it.
function subsysInit(facts: KernelFacts, passthrough: boolean, strict: boolean, cmd: CmdlineEffects, trace: Trace): void {
  const type = passthrough ? 'Passthrough' : 'Translated';
  trace.print(`iommu: Default domain type: ${type}${cmd.passthrough ? CMDLINE_SUFFIX : ''}`);
  if (facts.logsTlbPolicy && !passthrough) {
    trace.print(`iommu: DMA domain TLB invalidation policy: ${strict ? 'strict' : 'lazy'} mode${cmd.strict ? CMDLINE_SUFFIX : ''}`);
  }
  // IOMMU_DOMAIN_DMA_FQ exists from v5.15; before, the driver chose the flush queue per DMA domain.
  const translated = !facts.dmaFqDomainType ? `IOMMU_DOMAIN_DMA (${strict ? 'strict' : 'lazy: non-strict mode, the driver gives the domain a flush queue'})`
    : strict ? 'IOMMU_DOMAIN_DMA (strict)' : 'IOMMU_DOMAIN_DMA_FQ (lazy)';
  const detail = passthrough ? 'IOMMU_DOMAIN_IDENTITY' : translated;
  trace.reason('iommu_subsys_init()', `default domain type ${detail}${cmd.passthrough ? `, from ${cmd.passthrough.via}` : ''}`);
}

function remappingBlocker(cmd: CmdlineEffects): string | null {
  if (cmd.noIommu) return `${cmd.noIommu} (no_iommu)`;
  if (cmd.dmarDisabled?.value) return `${cmd.dmarDisabled.via} (dmar_disabled)`;
  return null;
}

function scalableModeInEffect(facts: KernelFacts, caps: ViommuCaps, cmd: CmdlineEffects, trace: Trace): boolean {
  if (!facts.scalableModeSupport) {
    trace.reason('intel_iommu_init()', 'this kernel predates scalable mode (v5.0): legacy mode');
    return false;
  }
  const wanted = cmd.scalableMode?.value ?? facts.scalableModeDefaultOn;
  const source = cmd.scalableMode?.via ?? 'CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON';
  const origin = cmd.scalableMode ? '' : ` (default ${facts.scalableModeDefaultOn ? 'y since v5.15' : 'n before v5.15'})`;
  const inEffect = wanted && caps.scalableMode;
  const state = !wanted ? 'intel_iommu_sm = 0: legacy mode'
    : caps.scalableMode ? 'intel_iommu_sm = 1 and the vIOMMU advertises SMTS: scalable mode'
      : 'intel_iommu_sm = 1, but the vIOMMU does not advertise SMTS: legacy mode';
  trace.reason(source, `${state}${origin}`);
  return inEffect;
}

interface CachingModeOutcome {
  forced: boolean;
  /** The dmesg line to print once the device's domain is known, if any. */
  line: string | null;
}

// The caching-mode rule in intel_iommu_init() (init_dmars() or
// domain_use_flush_queue() in older releases).
function cachingModeRule(facts: KernelFacts, caps: ViommuCaps, firstLevel: FirstLevelChoice, cmd: CmdlineEffects, trace: Trace): CachingModeOutcome {
  const rule = facts.cachingModeRule;
  const site = rule?.site ?? 'intel_iommu_init()';
  if (!caps.cachingMode) {
    trace.reason(site, 'caching mode not advertised: no forced strict mode');
    return { forced: false, line: null };
  }
  if (!rule) {
    trace.reason(site, `caching mode set, but this kernel predates ${CM_RULE_COMMIT}: no forced strict mode`);
    return { forced: false, line: null };
  }
  if (facts.generation.generation === 3 && firstLevel.firstLevel) {
    trace.reason(site, `caching mode set, but first_level_by_default(IOMMU_DOMAIN_DMA) is true: flush queue allowed (${FIRST_LEVEL_EXEMPTION_COMMIT})`);
    return { forced: false, line: null };
  }
  const action = facts.dmaStrictnessKconfig ? 'iommu_set_dma_strict() demotes DMA_FQ to DMA' : 'intel_iommu_strict = 1, no flush queue';
  const exemption = facts.generation.generation === 3 ? ' and DMA domains use the second level' : '';
  const final = facts.vtdHonoursIommuStrict ? '; iommu.strict=0 cannot undo it' : '';
  trace.reason(site, `caching mode set${exemption}: ${action}${final}`);
  const printed = rule.printsWhenAlreadyStrict || !cmd.intelStrict;
  return { forced: true, line: printed ? rule.line : null };
}

interface Device {
  domainType: DomainType;
  strict: boolean;
}

function deviceDomain(facts: KernelFacts, untrusted: boolean, passthrough: boolean, strict: boolean, trace: Trace): Device {
  if (untrusted) {
    trace.reason('iommu_get_def_domain_type() untrusted', `external-facing device: always a strict IOMMU_DOMAIN_DMA, never identity or ${facts.dmaFqDomainType ? 'DMA_FQ' : 'lazy'}`);
    return { domainType: 'dma', strict: true };
  }
  if (passthrough) return { domainType: 'identity', strict };
  // Since v6.5 a driver without IOMMU_CAP_DEFERRED_FLUSH falls back from
  // DMA_FQ to DMA; VT-d reports the capability, so nothing changes here.
  return { domainType: strict ? 'dma' : 'dma-fq', strict };
}

function pageTableReason(pageTable: PageTable, firstLevel: FirstLevelChoice, trace: Trace): void {
  const table = pageTable === 'none' ? 'no page table (identity)' : `${pageTable} page table`;
  trace.reason('first_level_by_default()', `${firstLevel.why}; the device's domain uses ${table}`);
}

function unusableCapsWarning(caps: ViommuCaps, trace: Trace): void {
  if (caps.scalableMode && !caps.firstLevel && !caps.secondLevel) {
    trace.warn('caps: scalable mode without FLTS or SLTS leaves DMA domains no usable table; first_level_by_default() is mirrored literally');
  }
}

type Outcome = Omit<PolicyDecision, 'generation' | 'kernel' | 'reasons' | 'log' | 'ignored' | 'warnings'>;

/** State once the command line is parsed and iommu_subsys_init() has run. */
interface Boot {
  facts: KernelFacts;
  input: PolicyInput;
  cmd: CmdlineEffects;
  passthrough: boolean;
  strictBefore: boolean;
  trace: Trace;
}

function withoutRemapping({ cmd, strictBefore, trace }: Boot, blocker: string): Outcome {
  trace.reason('intel_iommu_init()', `${blocker}: returns before init_dmars(), so no DMA remapping; devices DMA to physical addresses and the caching-mode rule is never reached`);
  return { domainType: 'identity', strict: strictBefore, scalableMode: false, pageTable: 'none', dmaPageTable: 'none', forcedStrict: cmd.intelStrict !== null, dmaRemapping: false };
}

function withRemapping({ facts, input, cmd, passthrough, strictBefore, trace }: Boot): Outcome {
  if (!cmd.dmarDisabled) trace.reason('intel_iommu_init()', 'DMA remapping enabled (assumes CONFIG_INTEL_IOMMU_DEFAULT_ON=y; otherwise intel_iommu=on is needed)');
  const scalableMode = scalableModeInEffect(facts, input.caps, cmd, trace);
  const firstLevel = firstLevelByDefault(facts.firstLevelRule, scalableMode, input.caps, 'dma');
  const cm = cachingModeRule(facts, input.caps, firstLevel, cmd, trace);
  const device = deviceDomain(facts, input.untrusted, passthrough, strictBefore || cm.forced, trace);
  const dmaPageTable: PageTable = firstLevel.firstLevel ? 'first-level' : 'second-level';
  const pageTable: PageTable = device.domainType === 'identity' ? 'none' : dmaPageTable;
  pageTableReason(pageTable, firstLevel, trace);
  // v5.11-v5.12 decide (and print) when the first DMA domain is set up.
  if (cm.line && (!facts.cachingModeRule?.needsDmaDomain || device.domainType !== 'identity')) trace.print(cm.line);
  return { ...device, scalableMode, pageTable, dmaPageTable, forcedStrict: cmd.intelStrict !== null || cm.forced, dmaRemapping: true };
}

export function resolvePolicy(input: PolicyInput): PolicyDecision {
  const kernel = parseKernelVersion(input.kernel);
  assertPolicyInput(input);
  const facts = kernelFacts(kernel);
  const trace = new Trace();

  trace.reason('kernel version', facts.generation.text);
  // A later stable update of the newest known branch is that release; a later branch is not known.
  if (compareVersions({ ...kernel, patch: 0 }, NEWEST_KNOWN_RELEASE) > 0) {
    const newest = `v${NEWEST_KNOWN_RELEASE.major}.${NEWEST_KNOWN_RELEASE.minor}`;
    trace.warn(`kernel: v${kernel.major}.${kernel.minor} is newer than ${newest}, the newest release this lab knows; it is resolved with the rules of ${newest}, and a later change to them would not show`);
  }
  if (!facts.inVerifiedRange) trace.warn(`kernel: rules were checked from v5.4 on; v${kernel.major}.${kernel.minor} is resolved like v5.4 apart from what is known for it (the caching-mode rule backports, no scalable mode before v5.0)`);
  unusableCapsWarning(input.caps, trace);

  const kconfig = applyKconfig(input.kconfigDefault, facts, trace);
  const cmd = applyCmdline(input.cmdline, facts, trace);
  const passthrough = cmd.passthrough?.value ?? kconfig.passthrough;
  const strictBefore = strictnessBeforeDriver(facts, kconfig, cmd);
  subsysInit(facts, passthrough, strictBefore, cmd, trace);

  const boot: Boot = { facts, input, cmd, passthrough, strictBefore, trace };
  const blocker = remappingBlocker(cmd);
  const outcome = blocker ? withoutRemapping(boot, blocker) : withRemapping(boot);
  return {
    ...outcome,
    generation: facts.generation.generation,
    kernel,
    reasons: trace.reasons,
    log: trace.log,
    ignored: trace.ignored,
    warnings: trace.warnings,
  };
}
