// The command-line handlers that shape the DMA policy, in the order the
// kernel runs them: early_param() handlers first (iommu.passthrough=,
// iommu.strict=, x86 iommu=), then __setup() handlers (intel_iommu=), each
// pass walking the command line from left to right, so later tokens win.

import type { CmdlineParam } from './cmdline.ts';
import { isIommuParam, kstrtobool, kstrtoboolForms, parseCmdline, splitSubOptions } from './cmdline.ts';
import type { KernelFacts } from './kernel-facts.ts';
import type { Trace } from './trace.ts';

export interface Setting<T> {
  value: T;
  /** The command-line text that set it, e.g. "iommu=pt". */
  via: string;
}

export interface CmdlineEffects {
  /** iommu_set_default_passthrough(true) / _translated(true): iommu.passthrough=, iommu=pt|nopt. */
  passthrough: Setting<boolean> | null;
  /** iommu.strict= as far as VT-d honours it. */
  strict: Setting<boolean> | null;
  /** intel_iommu=strict: iommu_set_dma_strict() (intel_iommu_strict = 1 before v5.15). */
  intelStrict: string | null;
  /** dmar_disabled from intel_iommu=on|off. */
  dmarDisabled: Setting<boolean> | null;
  /** no_iommu from x86 iommu=off. */
  noIommu: string | null;
  /** intel_iommu_sm from intel_iommu=sm_on|sm_off. */
  scalableMode: Setting<boolean> | null;
}

interface Context {
  facts: KernelFacts;
  trace: Trace;
  effects: CmdlineEffects;
}

// do_early_param() in init/main.c prints this when a handler returns non-zero.
function malformed(ctx: Context, param: CmdlineParam, problem: string): void {
  ctx.trace.print(`Malformed early option '${param.name}'`);
  ctx.trace.warn(`${param.raw}: ${problem}; the kernel ignores it and prints "Malformed early option '${param.name}'"`);
}

function parseBool(ctx: Context, param: CmdlineParam): boolean | null {
  const value = kstrtobool(param.value, ctx.facts.kstrtoboolTrueFalse);
  if (value === null) {
    const forms = kstrtoboolForms(ctx.facts.kstrtoboolTrueFalse);
    const problem = param.value === null ? 'missing value' : `${JSON.stringify(param.value)} is not a boolean`;
    malformed(ctx, param, `${problem} (kstrtobool() accepts ${forms})`);
    ctx.trace.ignore(param.index, param.raw);
  }
  return value;
}

// iommu_set_def_domain_type() in drivers/iommu/iommu.c
function iommuPassthrough(ctx: Context, param: CmdlineParam): void {
  const pt = parseBool(ctx, param);
  if (pt === null) return;
  ctx.effects.passthrough = { value: pt, via: param.raw };
  ctx.trace.reason('iommu.passthrough=', `${param.raw}: default domain ${pt ? 'identity (passthrough)' : 'translated'}, overriding the Kconfig default`);
}

// iommu_dma_setup() in drivers/iommu/iommu.c
function iommuStrict(ctx: Context, param: CmdlineParam): void {
  const strict = parseBool(ctx, param);
  if (strict === null) return;
  if (!ctx.facts.vtdHonoursIommuStrict) {
    ctx.trace.ignore(param.index, param.raw);
    ctx.trace.reason('iommu.strict=', `${param.raw}: parsed by iommu.c, but VT-d before v5.13 takes its strictness only from intel_iommu_strict; no effect`);
    return;
  }
  ctx.effects.strict = { value: strict, via: param.raw };
  ctx.trace.reason('iommu.strict=', `${param.raw}: DMA domains ${strict ? 'strict' : 'lazy'}, overriding the Kconfig default`);
}

// Sub-options of x86 iommu_setup() (arch/x86/kernel/pci-dma.c) and
// gart_parse_options(); each is a prefix test, several may match one entry.
const X86_IOMMU_OPTIONS = [
  'off', 'force', 'noforce', 'biomerge', 'panic', 'nopanic', 'merge', 'nomerge', 'forcesac', 'allowdac',
  'nodac', 'usedac', 'soft', 'pt', 'nopt', 'fullflush', 'nofullflush', 'noagp', 'noaperture', 'allowed', 'memaper',
];
const X86_IOMMU_DROPPED = ['forcesac', 'allowdac', 'nodac'];

function x86IommuOption(ctx: Context, param: CmdlineParam, option: string): void {
  const via = `iommu=${option}`;
  const has = (prefix: string): boolean => option.startsWith(prefix);
  if (!X86_IOMMU_OPTIONS.some(has) && !/^\d/.test(option)) {
    ctx.trace.ignore(param.index, via);
    return;
  }
  const dropped = X86_IOMMU_DROPPED.find(has);
  if (dropped) {
    ctx.trace.print(`${dropped} option ignored.`);
    ctx.trace.ignore(param.index, via);
  }
  if (has('off')) {
    ctx.effects.noIommu = via;
    ctx.trace.reason('iommu=off', `${via}: no_iommu = 1, intel_iommu_init() will not enable DMA remapping`);
  }
  if (has('pt') || has('nopt')) {
    const pt = has('pt');
    ctx.effects.passthrough = { value: pt, via };
    ctx.trace.reason(pt ? 'iommu=pt' : 'iommu=nopt', `${via}: default domain ${pt ? 'identity (passthrough)' : 'translated'}, overriding the Kconfig default`);
  }
}

// iommu_setup(): "usedac" returns 1 at once, which also makes
// do_early_param() report the option as malformed.
function x86Iommu(ctx: Context, param: CmdlineParam): void {
  if (param.value === null) {
    malformed(ctx, param, 'missing value');
    ctx.trace.ignore(param.index, param.raw);
    return;
  }
  const options = splitSubOptions(param.value);
  const stop = options.findIndex((option) => option.text.startsWith('usedac'));
  options.slice(0, stop < 0 ? undefined : stop + 1).forEach((option) => x86IommuOption(ctx, param, option.text));
  if (stop < 0) return;
  options.slice(stop + 1).forEach((option) => ctx.trace.ignore(param.index, `iommu=${option.text}`));
  malformed(ctx, param, 'iommu_setup() returns 1 after "usedac", skipping the rest of the list');
}

interface IntelOption {
  prefix: string;
  line: string;
  apply?: (ctx: Context, via: string) => void;
}

function setDmar(disabled: boolean) {
  return (ctx: Context, via: string): void => {
    ctx.effects.dmarDisabled = { value: disabled, via };
    ctx.trace.reason(via, disabled ? 'dmar_disabled = 1: no DMA remapping' : 'dmar_disabled = 0: DMA remapping enabled');
  };
}

function setScalableMode(on: boolean) {
  return (ctx: Context, via: string): void => {
    ctx.effects.scalableMode = { value: on, via };
    ctx.trace.reason(via, `intel_iommu_sm = ${on ? 1 : 0}: scalable mode ${on ? 'used if the vIOMMU advertises it' : 'not used'}`);
  };
}

function requestStrict(ctx: Context, via: string): void {
  ctx.effects.intelStrict = via;
  ctx.trace.reason(via, ctx.facts.dmaStrictnessKconfig
    ? 'deprecated alias of iommu.strict=1: calls iommu_set_dma_strict() while parsing, which no later iommu.strict=0 can undo'
    : 'intel_iommu_strict = 1: VT-d never uses a flush queue');
}

// intel_iommu_setup() in drivers/iommu/intel/iommu.c: an else-if chain of
// prefix tests, so order matters ("on" is tested before "off").
function intelOptions(facts: KernelFacts): IntelOption[] {
  const v515 = facts.intelOptionTexts === 'v5.15';
  const options: (IntelOption | false)[] = [
    { prefix: 'on', line: 'IOMMU enabled', apply: setDmar(false) },
    { prefix: 'off', line: 'IOMMU disabled', apply: setDmar(true) },
    { prefix: 'igfx_off', line: 'Disable GFX device mapping' },
    { prefix: 'forcedac', line: v515 ? 'intel_iommu=forcedac deprecated; use iommu.forcedac instead' : 'Forcing DAC for PCI devices' },
    { prefix: 'strict', line: v515 ? 'intel_iommu=strict deprecated; use iommu.strict=1 instead' : 'Disable batched IOTLB flush', apply: requestStrict },
    { prefix: 'sp_off', line: 'Disable supported super page' },
    facts.scalableModeSupport && { prefix: 'sm_on', line: v515 ? 'Enable scalable mode if hardware supports' : 'Intel-IOMMU: scalable mode supported', apply: setScalableMode(true) },
    v515 && { prefix: 'sm_off', line: 'Scalable mode is disallowed', apply: setScalableMode(false) },
    { prefix: 'tboot_noforce', line: 'Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot' },
    !v515 && { prefix: 'nobounce', line: 'Intel-IOMMU: No bounce buffer. This could expose security risks of DMA attacks' },
  ];
  return options.filter((option): option is IntelOption => option !== false);
}

function intelIommu(ctx: Context, param: CmdlineParam): void {
  const options = intelOptions(ctx.facts);
  const subOptions = splitSubOptions(param.value ?? '');
  if (subOptions.length === 0) ctx.trace.ignore(param.index, param.raw);
  for (const { text, rest } of subOptions) {
    const option = options.find((candidate) => text.startsWith(candidate.prefix));
    if (!option) {
      if (ctx.facts.reportsUnknownIntelOption) ctx.trace.print(`DMAR: Unknown option - '${rest}'`);
      ctx.trace.ignore(param.index, `intel_iommu=${text}`);
      continue;
    }
    ctx.trace.print(`DMAR: ${option.line}`);
    option.apply?.(ctx, `intel_iommu=${text}`);
  }
}

type Handler = (ctx: Context, param: CmdlineParam) => void;

const EARLY_HANDLERS: Readonly<Record<string, Handler>> = { 'iommu.passthrough': iommuPassthrough, 'iommu.strict': iommuStrict, iommu: x86Iommu };

function earlyHandler(param: CmdlineParam): Handler | undefined {
  return Object.hasOwn(EARLY_HANDLERS, param.key) ? EARLY_HANDLERS[param.key] : undefined;
}

// __setup("intel_iommu=") only matches with the "=".
function setupHandler(param: CmdlineParam): Handler | undefined {
  return param.key === 'intel_iommu' && param.value !== null ? intelIommu : undefined;
}

// Known to the kernel, but without bearing on the VT-d DMA policy.
function knownWithoutEffect(param: CmdlineParam, facts: KernelFacts): boolean {
  return param.key === 'iommu.forcedac' && facts.intelOptionTexts === 'v5.15';
}

export function applyCmdline(cmdline: string, facts: KernelFacts, trace: Trace): CmdlineEffects {
  const effects: CmdlineEffects = { passthrough: null, strict: null, intelStrict: null, dmarDisabled: null, noIommu: null, scalableMode: null };
  const ctx: Context = { facts, trace, effects };
  const { params } = parseCmdline(cmdline);
  for (const param of params) earlyHandler(param)?.(ctx, param);
  for (const param of params) setupHandler(param)?.(ctx, param);
  for (const param of params) {
    const handled = earlyHandler(param) ?? setupHandler(param);
    if (!handled && isIommuParam(param) && !knownWithoutEffect(param, facts)) trace.ignore(param.index, param.raw);
  }
  return effects;
}
