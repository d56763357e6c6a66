// The scenario: the public contract shared by the CLI, the journal and the UI.
// Input may omit anything with a default; `parseScenario` returns the full,
// normalized scenario or an error naming every invalid field.
import { z } from 'zod';
import { parseKernelVersion } from '../policy/index.ts';
import { atLeast } from '../policy/version.ts';
import { COST_NAMES, COST_TABLE, type CostName, type Costs } from './costs.ts';
import { effectivePolicy, resolveScenarioPolicy, vmmPathOrProblem } from './effective.ts';

export const BACKENDS = ['none', 'shadow-sl', 'nested-fl', 'shadow-fl-wp', 'virtio-iommu'] as const;
export const POLICIES = ['auto', 'strict', 'lazy', 'passthrough'] as const;
export const WORKLOADS = ['iperf-rx', 'iperf-tx', 'fio'] as const;
export const DEVICE_KINDS = ['nic', 'nvme'] as const;
/** fio's rw= patterns the model runs. */
export const FIO_RW = ['randread', 'randwrite', 'read', 'write', 'randrw'] as const;
/** The hardware IOMMU on bare metal (viommu.backend none). */
export const HARDWARE_IOMMUS = ['vtd', 'smmuv3'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export type FioRw = (typeof FIO_RW)[number];
export type HardwareIommu = (typeof HARDWARE_IOMMUS)[number];
export const FLUSH_QUEUE_KINDS = ['per-cpu', 'single'] as const;
export type Backend = (typeof BACKENDS)[number];
export type PolicyChoice = (typeof POLICIES)[number];
export type WorkloadKind = (typeof WORKLOADS)[number];

/** Kernel flush-queue defaults (drivers/iommu/dma-iommu.c). */
export const FLUSH_QUEUE_DEFAULTS = {
  'per-cpu': { size: 256, timeoutMs: 10 },
  single: { size: 32768, timeoutMs: 1000 },
} as const;

/** What QEMU's VT-d model advertises for each backend when the scenario does not say. */
export const BACKEND_CAPS: Record<Backend, { cachingMode: boolean; scalableMode: boolean; firstLevel: boolean; secondLevel: boolean }> = {
  none: { cachingMode: false, scalableMode: true, firstLevel: true, secondLevel: true },
  'shadow-sl': { cachingMode: true, scalableMode: true, firstLevel: false, secondLevel: true },
  'nested-fl': { cachingMode: true, scalableMode: true, firstLevel: true, secondLevel: false },
  'shadow-fl-wp': { cachingMode: true, scalableMode: true, firstLevel: true, secondLevel: false },
  // virtio-iommu is no VT-d: no caching mode, no scalable mode, no guest page table (MAP/UNMAP requests).
  'virtio-iommu': { cachingMode: false, scalableMode: false, firstLevel: false, secondLevel: false },
};

/** Kernels from v6.7 give virtio-iommu devices shadow_on_flush, hence the single flush queue, when lazy. */
export const VIRTIO_DEFERRED_FLUSH_SINCE = [6, 7] as const;

// A release typed as a JSON number loses its meaning: 6.10 is 6.1.
function kernelVersionTypeError(issue: { input?: unknown }): string | undefined {
  if (typeof issue.input !== 'number') return undefined;
  return `a kernel version is text: quote it, e.g. "6.10" (the number ${issue.input} cannot tell 6.1 from 6.10); got the number ${issue.input}`;
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const num = (min: number, max: number) => z.number().min(min).max(max);

const costsSchema = z
  .object(Object.fromEntries(COST_NAMES.map((n) => [n, num(0, 1e9).optional()])) as Record<CostName, z.ZodOptional<z.ZodNumber>>)
  .strict();

export const scenarioInputSchema = z
  .object({
    name: z.string().max(200).optional(),
    seed: int(0, 2 ** 32 - 1).default(1),
    durationMs: num(1, 60_000).default(200),
    warmupMs: num(0, 10_000).default(20),
    sampleIntervalMs: num(0.1, 10_000).default(1),
    guest: z
      .object({
        kernel: z.string({ error: kernelVersionTypeError }).min(1).default('6.3'),
        kconfigDefault: z.enum(['strict', 'lazy', 'passthrough']).default('lazy'),
        cmdline: z.string().max(4096).default(''),
        vcpus: int(1, 256).default(4),
        untrusted: z.boolean().default(false),
        /** Batched invalidation (qi_batch): an IOTLB and a device-TLB descriptor share one submission. Default: whether the kernel has it. */
        qiBatch: z.boolean().optional(),
      })
      .strict()
      .prefault({}),
    viommu: z
      .object({
        backend: z.enum(BACKENDS).default('nested-fl'),
        cachingMode: z.boolean().optional(),
        scalableMode: z.boolean().optional(),
        firstLevel: z.boolean().optional(),
        secondLevel: z.boolean().optional(),
        /** vIOMMU (or IOMMU) units; the one device's domain sits on the first, the others stay idle. On bare metal, NVMe drives spread round-robin over the units. */
        units: int(1, 64).default(1),
        /** virtio-iommu: the driver syncs (kicks and waits) after each map (ops->iotlb_sync_map); false is the what-if of MAP requests left queued until the next sync. */
        iotlbSyncMap: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Bare metal (viommu.backend none): which IOMMU serves the invalidations. */
    hardware: z
      .object({
        /** vtd: VT-d invalidation queue with a wait descriptor; smmuv3: SMMUv3 command queue with CMD_SYNC. */
        iommu: z.enum(HARDWARE_IOMMUS).default('vtd'),
      })
      .strict()
      .prefault({}),
    policy: z.enum(POLICIES).default('auto'),
    /**
     * Run `policy` even where the kernel never would: lazy or passthrough on
     * an untrusted device (the result is then flagged). Without it such a
     * device runs strict, as in the kernel.
     */
    forcePolicy: z.boolean().default(false),
    flushQueue: z
      .object({
        /** Default: single on virtio-iommu from v6.7 (shadow_on_flush), else per-cpu. */
        kind: z.enum(FLUSH_QUEUE_KINDS).optional(),
        size: int(2, 1 << 20).optional(),
        timeoutMs: num(0.1, 60_000).optional(),
      })
      .strict()
      .prefault({}),
    device: z
      .object({
        /** nic (iperf workloads) or nvme (fio); the fields of the other kind are ignored. */
        kind: z.enum(DEVICE_KINDS).default('nic'),
        lineRateGbps: num(1, 800).default(100),
        mtu: int(576, 9216).default(1500),
        queues: int(1, 256).default(4),
        ringSize: int(64, 16384).default(1024),
        rxBufferBytes: int(1024, 16384).default(2048),
        pagePoolPages: int(0, 1 << 20).default(1024),
        rxPageUnmapShare: num(0, 1).default(0.02),
        interruptModerationUs: num(0, 1000).default(10),
        napiBudget: int(1, 1024).default(64),
        /** Address translation services: each invalidation adds a device-TLB descriptor. */
        ats: z.boolean().default(false),
        // NVMe (device.kind nvme).
        drives: int(1, 64).default(1),
        /** I/O queue pairs per drive; each fio job of a drive submits on its own queue. */
        queuesPerDrive: int(1, 1024).default(8),
        /** Drive service time of one I/O (4 KiB and below), from doorbell to completion entry, without queueing. */
        readLatencyUs: num(1, 100_000).default(80),
        writeLatencyUs: num(1, 100_000).default(20),
        /** Per-drive ceilings (the drive's datasheet figures). */
        maxReadIops: num(1000, 1e8).default(1_500_000),
        maxWriteIops: num(1000, 1e8).default(500_000),
        maxBandwidthMiBps: num(10, 1e6).default(12_000),
        /** NVMe interrupt coalescing (aggregation time); 0: an interrupt per completion batch, as the Linux default. */
        interruptCoalescingUs: num(0, 25_500).default(0),
      })
      .strict()
      .prefault({}),
    workload: z
      .object({
        kind: z.enum(WORKLOADS).default('iperf-rx'),
        streams: int(1, 1024).default(4),
        /** The receiver ACKs each GRO skb, and once more per this many bytes of it (one per 64 KiB GRO skb by default). */
        ackEveryBytes: int(1, 1 << 20).default(65536),
        /** TSQ bound on a socket's bytes below TCP (tcp_limit_output_bytes); omitted: the guest kernel's default. */
        tsqLimitBytes: int(65536, 1 << 30).optional(),
        tsoBytes: int(1500, 262144).default(65536),
        fragBytes: int(4096, 65536).default(32768),
        // fio (workload.kind fio, on an nvme device).
        rw: z.enum(FIO_RW).default('randread'),
        /** randrw: percentage of reads. */
        rwmixread: int(0, 100).default(50),
        /** Block size in bytes: a multiple of 512. */
        bs: int(512, 16 << 20).default(4096),
        /** I/Os each job keeps in flight. */
        iodepth: int(1, 4096).default(32),
        /** fio jobs per drive, each pinned to its own CPU. */
        numjobs: int(1, 256).default(1),
      })
      .strict()
      .prefault({}),
    /**
     * A named cost profile from the journal. The service resolves it before
     * the run: the profile's costs apply over the table, and `costs` over the
     * profile. The journaled scenario keeps the name and the resolved costs.
     */
    costProfile: z.string().min(1).max(100).optional(),
    costs: costsSchema.prefault({}),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioInputSchema>;
type Parsed = z.output<typeof scenarioInputSchema>;

/** A scenario with every default filled in: what is journaled and hashed. */
export interface Scenario extends Omit<Parsed, 'guest' | 'viommu' | 'flushQueue' | 'costs'> {
  guest: Parsed['guest'] & { qiBatch: boolean };
  viommu: { backend: Backend; cachingMode: boolean; scalableMode: boolean; firstLevel: boolean; secondLevel: boolean; units: number; iotlbSyncMap: boolean };
  flushQueue: { kind: 'per-cpu' | 'single'; size: number; timeoutMs: number };
  costs: Costs;
}

export interface FieldError {
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(readonly fields: FieldError[]) {
    super(`invalid scenario: ${fields.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; ')}`);
    this.name = 'ScenarioError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  return issue.message;
}

function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.map(String).join('.');
}

/** "iommu/vt-d: Introduce batched cache invalidation" (705c1cdf1e73) was merged for v6.12-rc1. */
export const QI_BATCH_SINCE = [6, 12] as const;

function kernelHasQiBatch(kernel: string): boolean {
  try {
    return atLeast(parseKernelVersion(kernel), QI_BATCH_SINCE[0], QI_BATCH_SINCE[1]);
  } catch {
    return false; // guest.kernel reports the malformed version
  }
}

/** Consistency rules that a field-by-field schema cannot express. */
function crossFieldErrors(s: Scenario): FieldError[] {
  const errors: FieldError[] = [];
  const v = s.viommu;
  try {
    parseKernelVersion(s.guest.kernel);
  } catch (err) {
    errors.push({ path: 'guest.kernel', message: (err as Error).message.replace(/^kernel: /, '') });
  }
  if (s.guest.qiBatch && !kernelHasQiBatch(s.guest.kernel)) {
    errors.push({ path: 'guest.qiBatch', message: `kernel ${s.guest.kernel} has no batched invalidation (qi_batch, v${QI_BATCH_SINCE.join('.')}): must be false` });
  }
  if (s.warmupMs >= s.durationMs) errors.push({ path: 'warmupMs', message: `must be less than durationMs (${s.durationMs})` });
  if (v.backend === 'shadow-sl' && !v.secondLevel) {
    errors.push({ path: 'viommu.secondLevel', message: 'backend shadow-sl shadows a second-level table: must be true' });
  }
  if ((v.backend === 'nested-fl' || v.backend === 'shadow-fl-wp') && !(v.firstLevel && v.scalableMode)) {
    errors.push({ path: 'viommu.firstLevel', message: `backend ${v.backend} needs a first-level table: firstLevel and scalableMode must be true` });
  }
  if (v.backend === 'shadow-sl' && !v.cachingMode) {
    errors.push({ path: 'viommu.cachingMode', message: 'QEMU requires caching-mode=on to shadow a second-level table for an assigned device' });
  }
  if (s.device.rxBufferBytes > 4096 && s.device.rxBufferBytes % 4096 !== 0) {
    errors.push({ path: 'device.rxBufferBytes', message: 'above 4096 must be a whole number of 4 KiB pages' });
  }
  errors.push(...deviceWorkloadErrors(s));
  if (s.flushQueue.kind === 'per-cpu' && s.flushQueue.size > 65536) {
    errors.push({ path: 'flushQueue.size', message: 'per-cpu rings allow at most 65536 slots' });
  }
  // The guest's page table must have a path on this host (checked once the rest is sound).
  if (errors.length === 0) {
    const decision = resolveScenarioPolicy(s);
    const r = vmmPathOrProblem(s, decision, effectivePolicy(s, decision).mode);
    if ('problem' in r) errors.push(r.problem);
  }
  return errors;
}

/** The device and the workload must fit each other (an NVMe drive runs fio, a NIC iperf). */
function deviceWorkloadErrors(s: Scenario): FieldError[] {
  const errors: FieldError[] = [];
  const d = s.device;
  const w = s.workload;
  if (d.kind === 'nvme' && w.kind !== 'fio') {
    errors.push({ path: 'workload.kind', message: `an nvme device runs the fio workload: must be fio (got ${w.kind}); iperf-rx and iperf-tx need device.kind nic` });
  }
  if (d.kind === 'nic' && w.kind === 'fio') {
    errors.push({ path: 'device.kind', message: 'the fio workload needs an nvme device: must be nvme' });
  }
  if (w.kind !== 'fio') return errors;
  if (w.bs % 512 !== 0) errors.push({ path: 'workload.bs', message: `must be a multiple of 512 bytes (the logical block size), e.g. 4096 or 65536; got ${w.bs}` });
  const jobs = w.numjobs * d.drives;
  if (jobs > s.guest.vcpus) {
    errors.push({ path: 'workload.numjobs', message: `${w.numjobs} jobs per drive on ${d.drives} drive${d.drives > 1 ? 's' : ''} is ${jobs} jobs, each on its own CPU: at most guest.vcpus (${s.guest.vcpus}), so at most ${Math.floor(s.guest.vcpus / d.drives)} per drive` });
  }
  if (w.numjobs > d.queuesPerDrive) {
    errors.push({ path: 'workload.numjobs', message: `each job submits on its own queue of its drive: at most device.queuesPerDrive (${d.queuesPerDrive})` });
  }
  if (d.ats && s.viommu.backend === 'virtio-iommu') {
    errors.push({ path: 'device.ats', message: 'virtio-iommu has no device-TLB invalidation: must be false' });
  }
  return errors;
}

function virtioDeferredFlush(kernel: string): boolean {
  try {
    return atLeast(parseKernelVersion(kernel), VIRTIO_DEFERRED_FLUSH_SINCE[0], VIRTIO_DEFERRED_FLUSH_SINCE[1]);
  } catch {
    return false; // guest.kernel reports the malformed version
  }
}

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; errors: FieldError[] };

export function safeParseScenario(input: unknown): ParseResult {
  const parsed = scenarioInputSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => ({ path: issuePath(i), message: describeIssue(i) })) };
  }
  const p = parsed.data;
  const caps = BACKEND_CAPS[p.viommu.backend];
  // shadow_on_flush (virtio-iommu from v6.7) selects the single queue in iommu_dma_init_fq().
  const fqKind = p.flushQueue.kind ?? (p.viommu.backend === 'virtio-iommu' && virtioDeferredFlush(p.guest.kernel) ? 'single' : 'per-cpu');
  const fqDefaults = FLUSH_QUEUE_DEFAULTS[fqKind];
  const costs = {} as Costs;
  for (const name of COST_NAMES) costs[name] = p.costs[name] ?? COST_TABLE[name].valueNs;
  const scenario: Scenario = {
    ...p,
    guest: { ...p.guest, qiBatch: p.guest.qiBatch ?? kernelHasQiBatch(p.guest.kernel) },
    viommu: {
      backend: p.viommu.backend,
      cachingMode: p.viommu.cachingMode ?? caps.cachingMode,
      scalableMode: p.viommu.scalableMode ?? caps.scalableMode,
      firstLevel: p.viommu.firstLevel ?? caps.firstLevel,
      secondLevel: p.viommu.secondLevel ?? caps.secondLevel,
      units: p.viommu.units,
      iotlbSyncMap: p.viommu.iotlbSyncMap,
    },
    flushQueue: {
      kind: fqKind,
      size: p.flushQueue.size ?? fqDefaults.size,
      timeoutMs: p.flushQueue.timeoutMs ?? fqDefaults.timeoutMs,
    },
    costs,
  };
  const errors = crossFieldErrors(scenario);
  return errors.length ? { ok: false, errors } : { ok: true, scenario };
}

export function parseScenario(input: unknown): Scenario {
  const r = safeParseScenario(input);
  if (!r.ok) throw new ScenarioError(r.errors);
  return r.scenario;
}

/** Deep-merge plain objects (arrays and scalars replace). Used for presets and --set overrides. */
export function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeDeep(base[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Apply `path=value` overrides (`viommu.backend=shadow-sl`). A field the schema
 * types as text keeps the raw text (`guest.kernel=6.10` is "6.10", not 6.1);
 * other values are parsed as JSON when they look like JSON (numbers, booleans,
 * quoted strings), else kept as strings.
 */
export function applyOverrides(input: unknown, overrides: string[]): unknown {
  let out = input;
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new ScenarioError([{ path: o, message: 'override must look like path=value, e.g. viommu.backend=shadow-sl' }]);
    const path = o.slice(0, eq).trim().split('.');
    if (path.some((p) => !/^[A-Za-z][A-Za-z0-9]*$/.test(p))) {
      throw new ScenarioError([{ path: o.slice(0, eq), message: 'path segments must be field names separated by dots' }]);
    }
    out = setPath(out, path, parseOverrideValue(o.slice(eq + 1), fieldKind(path)));
  }
  return out;
}

/** `input` with the field at `path` (segments) set to `value`, deep-merged so siblings stay. */
export function setPath(input: unknown, path: readonly string[], value: unknown): unknown {
  const patch: Record<string, unknown> = {};
  let cursor = patch;
  path.forEach((seg, i) => {
    if (i === path.length - 1) cursor[seg] = value;
    else cursor = (cursor[seg] = {}) as Record<string, unknown>;
  });
  return mergeDeep(input, patch);
}

/** JSON Schema of the scenario input (what a generated form edits). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioInputSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The value of `field.path=raw` as the scenario types that field (text fields keep the text). */
export function parseFieldValue(path: string, raw: string): unknown {
  return parseOverrideValue(raw, fieldKind(path.split('.')));
}

function parseOverrideValue(raw: string, kind: string | undefined): unknown {
  const s = raw.trim();
  if (kind === 'string' || kind === 'enum') return /^".*"$/.test(s) ? JSON.parse(s) : raw;
  if (/^(true|false|null|-?\d+(\.\d+)?([eE][-+]?\d+)?|".*")$/.test(s)) return JSON.parse(s);
  return raw;
}

type SchemaNode = { _zod: { def: { type: string; innerType?: SchemaNode; shape?: Record<string, SchemaNode> } } };

function unwrapSchema(node: SchemaNode): SchemaNode {
  let n = node;
  while (n._zod.def.innerType) n = n._zod.def.innerType;
  return n;
}

/** The schema's type name of the field at `path` ('string', 'number', 'enum', ...), if the path is a field. */
function fieldKind(path: readonly string[]): string | undefined {
  let node: SchemaNode | undefined = scenarioInputSchema as unknown as SchemaNode;
  for (const seg of path) {
    const obj: SchemaNode = unwrapSchema(node);
    node = obj._zod.def.type === 'object' && obj._zod.def.shape && Object.hasOwn(obj._zod.def.shape, seg) ? obj._zod.def.shape[seg] : undefined;
    if (!node) return undefined;
  }
  return unwrapSchema(node)._zod.def.type;
}
