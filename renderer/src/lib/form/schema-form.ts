// The scenario form is generated from the scenario's JSON Schema (what
// `scenario.schema` returns): one descriptor per leaf field, grouped by
// top-level section. Pure functions, no DOM, so they are tested under Node.

export type FieldKind = 'enum' | 'integer' | 'number' | 'boolean' | 'string';

export interface FieldDescriptor {
  /** Dotted path in the scenario input, e.g. `device.mtu`. */
  path: string;
  /** The field's own name, e.g. `mtu`. */
  key: string;
  /** Words of the name plus the unit, e.g. `Line rate (Gbit/s)`: the visible label. */
  label: string;
  /** Unit recognized from the name's suffix (`Ms` -> `ms`), if any. */
  unit: string | undefined;
  kind: FieldKind;
  /** Allowed values of an enum (a `const` is a one-value enum). */
  options: string[] | undefined;
  min: number | undefined;
  max: number | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  /** The schema's default; undefined when the model derives the value (vIOMMU caps from the backend, costs from the cost table). */
  default: string | number | boolean | undefined;
  description: string | undefined;
  /** Top-level section key (`device`), or `simulation` for top-level scalars without a section of their own. */
  group: string;
}

export interface FieldGroup {
  key: string;
  label: string;
  /** Advanced sections start collapsed. */
  advanced: boolean;
  fields: FieldDescriptor[];
}

const GROUP_LABELS: Record<string, string> = {
  guest: 'Guest',
  viommu: 'vIOMMU',
  hardware: 'Hardware IOMMU',
  policy: 'Policy',
  flushQueue: 'Flush queue',
  device: 'Device',
  workload: 'Workload',
  simulation: 'Simulation',
  costs: 'Costs',
};
const GROUP_ORDER = ['guest', 'viommu', 'hardware', 'policy', 'flushQueue', 'device', 'workload', 'simulation'];
/** Sections most users never touch: shown collapsed and last. */
const ADVANCED_GROUPS = new Set(['costs']);
/** Top-level scalars collect here unless they have a section of their own (like `policy`). */
export const TOP_LEVEL_GROUP = 'simulation';
/** Top-level scalars that belong to another section. */
const TOP_LEVEL_SECTION: Record<string, string> = { forcePolicy: 'policy' };

/** Longest first: `NsPerKiB` must win over `B`-less `Ns`. */
const UNIT_SUFFIXES: [suffix: string, unit: string][] = [
  ['NsPerKiB', 'ns/KiB'],
  ['MiBps', 'MiB/s'],
  ['Gbps', 'Gbit/s'],
  ['Bytes', 'bytes'],
  ['Ms', 'ms'],
  ['Us', 'µs'],
  ['Ns', 'ns'],
];

/** Words written the way kernel and virtualization people write them. */
const WORDS: Record<string, string> = {
  ack: 'ACK',
  ats: 'ATS',
  iops: 'IOPS',
  iotlb: 'IOTLB',
  cmdline: 'command line',
  cpu: 'CPU',
  fq: 'FQ',
  hw: 'HW',
  iova: 'IOVA',
  kconfig: 'Kconfig',
  kvm: 'KVM',
  mtu: 'MTU',
  napi: 'NAPI',
  pte: 'PTE',
  qemu: 'QEMU',
  qi: 'QI',
  rx: 'RX',
  tso: 'TSO',
  tx: 'TX',
  vcpus: 'vCPUs',
  vfio: 'VFIO',
  viommu: 'vIOMMU',
  hardware: 'Hardware IOMMU',
  vmm: 'VMM',
  wp: 'WP',
};

/** Splits a camelCase name into its unit (from the suffix) and its remaining words. */
export function splitName(name: string): { words: string[]; unit: string | undefined } {
  let stem = name;
  let unit: string | undefined;
  for (const [suffix, u] of UNIT_SUFFIXES) {
    // The suffix must start a new word: `items` does not end in the unit `Ms`.
    if (name.length > suffix.length && name.endsWith(suffix)) {
      stem = name.slice(0, -suffix.length);
      unit = u;
      break;
    }
  }
  const words = stem
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
  return { words, unit };
}

/** fio's job options, labelled as fio spells them (`bs=4k iodepth=32`), since that is how its users know them. */
const FIO_OPTIONS = new Set(['rw', 'rwmixread', 'bs', 'iodepth', 'numjobs']);

/** `lineRateGbps` -> `Line rate (Gbit/s)`, `mtu` -> `MTU`, `vcpus` -> `vCPUs`, `iodepth` -> `iodepth`. */
export function labelOf(name: string): string {
  const { words, unit } = splitName(name);
  const text = words.join(' ');
  // `vCPUs` and `vIOMMU` keep their lowercase v; fio's options keep fio's spelling.
  const head = /^[a-z][A-Z]/.test(text) || FIO_OPTIONS.has(text) ? text : text.charAt(0).toUpperCase() + text.slice(1);
  return unit ? `${head} (${unit})` : head;
}

export function groupLabelOf(key: string): string {
  return GROUP_LABELS[key] ?? labelOf(key);
}

type JsonSchema = Record<string, unknown>;

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function scalarDefault(v: unknown): string | number | boolean | undefined {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** The kind of a leaf schema, or undefined for shapes a plain input cannot edit (arrays, unions). */
function kindOf(s: JsonSchema): { kind: FieldKind; options?: string[] } | undefined {
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')) return { kind: 'enum', options: s.enum as string[] };
  if (typeof s.const === 'string') return { kind: 'enum', options: [s.const] };
  switch (s.type) {
    case 'integer':
      return { kind: 'integer' };
    case 'number':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
      return { kind: 'string' };
    default:
      return undefined;
  }
}

function describeLeaf(key: string, path: string, group: string, s: JsonSchema): FieldDescriptor | undefined {
  const k = kindOf(s);
  if (!k) return undefined;
  const { unit } = splitName(key);
  return {
    path,
    key,
    label: labelOf(key),
    unit,
    kind: k.kind,
    options: k.options,
    min: num(s.minimum) ?? num(s.exclusiveMinimum),
    max: num(s.maximum) ?? num(s.exclusiveMaximum),
    minLength: num(s.minLength),
    maxLength: num(s.maxLength),
    default: scalarDefault(s.default),
    description: typeof s.description === 'string' ? s.description : undefined,
    group,
  };
}

function walk(props: JsonSchema, prefix: string, group: string | undefined, out: FieldDescriptor[]): void {
  for (const [key, raw] of Object.entries(props)) {
    if (!isObject(raw)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (raw.type === 'object' && isObject(raw.properties)) {
      walk(raw.properties, path, group ?? key, out);
      continue;
    }
    const ownGroup = group ?? TOP_LEVEL_SECTION[key] ?? (Object.hasOwn(GROUP_LABELS, key) && key !== TOP_LEVEL_GROUP ? key : TOP_LEVEL_GROUP);
    const field = describeLeaf(key, path, ownGroup, raw);
    if (field) out.push(field);
  }
}

/** Every editable leaf of an object schema, in schema order. */
export function schemaToFields(schema: Record<string, unknown>): FieldDescriptor[] {
  const out: FieldDescriptor[] = [];
  if (isObject(schema.properties)) walk(schema.properties, '', undefined, out);
  return out;
}

/** Fields by section: the known sections in their usual order, unknown ones after, advanced ones last. */
export function groupFields(fields: readonly FieldDescriptor[]): FieldGroup[] {
  const byKey = new Map<string, FieldDescriptor[]>();
  for (const f of fields) {
    const list = byKey.get(f.group);
    if (list) list.push(f);
    else byKey.set(f.group, [f]);
  }
  const rank = (key: string) => {
    if (ADVANCED_GROUPS.has(key)) return GROUP_ORDER.length + 1;
    const i = GROUP_ORDER.indexOf(key);
    return i === -1 ? GROUP_ORDER.length : i;
  };
  // Array.prototype.sort is stable: unknown sections keep schema order among themselves.
  return [...byKey.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([key, list]) => ({ key, label: groupLabelOf(key), advanced: ADVANCED_GROUPS.has(key), fields: list }));
}

/** A nested object holding every field's schema default (derived fields stay absent). */
export function schemaDefaults(fields: readonly FieldDescriptor[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f.default !== undefined) setIn(out, f.path, f.default);
  return out;
}

// ---- nested-object helpers shared by the form ----

export function getIn(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const seg of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** Sets `path` in `obj` (mutating), creating objects on the way. */
export function setIn(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur = obj;
  segs.slice(0, -1).forEach((seg) => {
    const next = cur[seg];
    if (isObject(next)) cur = next;
    else cur = cur[seg] = {};
  });
  cur[segs[segs.length - 1] as string] = value;
}

/** Removes `path` from `obj` (mutating) and drops objects it leaves empty. */
export function deleteIn(obj: Record<string, unknown>, path: string): void {
  const segs = path.split('.');
  const parents: [Record<string, unknown>, string][] = [];
  let cur: Record<string, unknown> = obj;
  for (const seg of segs.slice(0, -1)) {
    const next = cur[seg];
    if (!isObject(next)) return;
    parents.push([cur, seg]);
    cur = next;
  }
  delete cur[segs[segs.length - 1] as string];
  for (let i = parents.length - 1; i >= 0; i--) {
    const [parent, seg] = parents[i] as [Record<string, unknown>, string];
    const child = parent[seg];
    if (isObject(child) && Object.keys(child).length === 0) delete parent[seg];
    else break;
  }
}

/** Plain objects merge key by key; anything else in `over` replaces. */
export function mergeDeep(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeDeep(base[k], v);
  return out;
}
