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
