// Reading a run's stored result (a JSON object typed loosely by the contract)
// without trusting its shape.

export interface PolicyView {
  domainType: string;
  strict: boolean | null;
  effective: string | null;
  source: string | null;
  reasons: { source: string; text: string }[];
  log: string[];
  warnings: string[];
  ignored: string[];
}

const obj = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function bottleneckOf(result: Record<string, unknown> | null): { kind: string; explanation: string } | null {
  const b = obj(result?.bottleneck);
  if (!b || typeof b.explanation !== 'string') return null;
  return { kind: typeof b.kind === 'string' ? b.kind : '', explanation: b.explanation };
}

export function policyOf(result: Record<string, unknown> | null): PolicyView | null {
  const p = obj(result?.policy);
  const resolved = obj(p?.resolved);
  if (!p || !resolved) return null;
  const reasons = (Array.isArray(resolved.reasons) ? resolved.reasons : []).map((r) => {
    const o = obj(r);
    return o ? { source: String(o.source ?? ''), text: String(o.text ?? '') } : { source: '', text: String(r) };
  });
  return {
    domainType: String(resolved.domainType ?? '?'),
    strict: typeof resolved.strict === 'boolean' ? resolved.strict : null,
    effective: typeof p.effective === 'string' ? p.effective : null,
    source: typeof p.source === 'string' ? p.source : null,
    reasons,
    log: strings(resolved.log),
    warnings: strings(resolved.warnings),
    ignored: strings(resolved.ignored),
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The cost path the guest's page table took (model 2.0 on); null for older results. */
export function vmmPathOf(result: Record<string, unknown> | null): { path: string; pageTable: string; reason: string } | null {
  const v = obj(result?.vmmPath);
  if (!v || typeof v.path !== 'string') return null;
  return { path: v.path, pageTable: typeof v.pageTable === 'string' ? v.pageTable : '', reason: typeof v.reason === 'string' ? v.reason : '' };
}

/** The run's warnings, each with its code (model 2.0 on); empty for older results. */
export function warningsOf(result: Record<string, unknown> | null): { code: string; message: string }[] {
  const list = Array.isArray(result?.warnings) ? result.warnings : [];
  return list.flatMap((w) => {
    const o = obj(w);
    return o && typeof o.message === 'string' ? [{ code: typeof o.code === 'string' ? o.code : '', message: o.message }] : [];
  });
}

/** Summary of a latency histogram, in microseconds. */
export interface LatencyView {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

function latency(v: unknown): LatencyView | null {
  const o = obj(v);
  if (!o) return null;
  const count = num(o.count);
  const mean = num(o.mean);
  const p50 = num(o.p50);
  const p99 = num(o.p99);
  const max = num(o.max);
  return count === null || mean === null || p50 === null || p99 === null || max === null ? null : { count, mean, p50, p99, max };
}

export interface LockView {
  name: string;
  label: string;
  instances: number | null;
  utilization: number;
  acquisitionsPerSec: number | null;
  meanWaitUs: number | null;
  maxWaitUs: number | null;
  hold: LatencyView | null;
}

/** The serialization points as the kernel and QEMU name them, in the order a submission meets them. */
const LOCK_LABELS: Record<string, string> = { qiLock: 'q_lock (qi->q_lock)', bql: "BQL (QEMU's lock)", iommuQueue: 'IOMMU invalidation queue', fqLock: 'fq->lock (flush queue)' };
const LOCK_ORDER = Object.keys(LOCK_LABELS);

/** Every lock or queue's statistics since the warm-up (model 2.0 on); empty for older results. */
export function locksOf(result: Record<string, unknown> | null): LockView[] {
  const locks = obj(result?.locks);
  if (!locks) return [];
  const rank = (n: string) => (LOCK_ORDER.includes(n) ? LOCK_ORDER.indexOf(n) : LOCK_ORDER.length);
  return Object.keys(locks)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .flatMap((name) => {
      const l = obj(locks[name]);
      const utilization = num(l?.utilization);
      if (!l || utilization === null) return [];
      return [{ name, label: LOCK_LABELS[name] ?? name, instances: num(l.instances), utilization, acquisitionsPerSec: num(l.acquisitionsPerSec), meanWaitUs: num(l.meanWaitUs), maxWaitUs: num(l.maxWaitUs), hold: latency(l.holdUs) }];
    });
}

const LATENCY_LABELS: Record<string, string> = { map: 'map (call to return)', unmap: 'unmap (call to return)', invalidation: 'invalidation (request to completion, lock waits included)' };

/** Per-operation latency histogram summaries (model 2.0 on); empty for older results. */
export function latenciesOf(result: Record<string, unknown> | null): ({ name: string; label: string } & LatencyView)[] {
  const all = obj(result?.latencyUs);
  if (!all) return [];
  return Object.keys(all).flatMap((name) => {
    const l = latency(all[name]);
    return l ? [{ name, label: LATENCY_LABELS[name] ?? name, ...l }] : [];
  });
}
