// Where a service error belongs on the form. The service names fields by
// their path in the call's params (`scenario.device.mtu` from a preview or
// runs.start, `spec.grid.viommu.backend` or `spec.base.device.mtu` from
// sweeps.start, `seeds`, `tags.0`); each lands next to the input it is about.
import type { ServiceErrorData } from '../../../../service/protocol/index.ts';

export type StartField = 'name' | 'seeds' | 'tags';

export interface RoutedErrors {
  /** Scenario field path -> message. */
  fields: Record<string, string>;
  /** Sweep grid path -> message. */
  grid: Record<string, string>;
  start: Partial<Record<StartField, string>>;
  /** What no input owns, as readable lines. */
  general: string[];
}

export function emptyRouted(): RoutedErrors {
  return { fields: {}, grid: {}, start: {}, general: [] };
}

function add(map: Record<string, string>, key: string, message: string): void {
  const prev = map[key];
  map[key] = prev === undefined || prev === message ? message : `${prev}; ${message}`;
}

const SCENARIO_PREFIXES = ['source.config.', 'base.config.', 'scenario.', 'base.'];

export function routeFieldErrors(errors: readonly { path: string; message: string }[], fieldPaths: ReadonlySet<string>): RoutedErrors {
  const out = emptyRouted();
  for (const { path: rawPath, message } of errors) {
    const path = rawPath.startsWith('spec.') ? rawPath.slice('spec.'.length) : rawPath;
    if (path.startsWith('grid.')) {
      add(out.grid, path.slice('grid.'.length), message);
      continue;
    }
    const startField = /^(name|seeds|tags)(\.\d+)?$/.exec(path)?.[1] as StartField | undefined;
    if (startField) {
      add(out.start as Record<string, string>, startField, message);
      continue;
    }
    const prefix = SCENARIO_PREFIXES.find((p) => path.startsWith(p));
    const fieldPath = prefix ? path.slice(prefix.length) : path;
    if (fieldPaths.has(fieldPath)) add(out.fields, fieldPath, message);
    else out.general.push(rawPath ? `${rawPath}: ${message}` : message);
  }
  return out;
}

/** Whatever a call threw, as the contract's error shape (transports pass `code`, `message`, `fields` through). */
export function toErrorData(err: unknown): ServiceErrorData {
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { message?: unknown }).message === 'string') {
    const e = err as ServiceErrorData;
    return Array.isArray(e.fields) ? { code: e.code, message: e.message, fields: e.fields } : { code: e.code, message: e.message };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** A service error routed to the inputs; an error without fields becomes one general line. */
export function routeServiceError(err: unknown, fieldPaths: ReadonlySet<string>): RoutedErrors {
  const data = toErrorData(err);
  if (data.fields && data.fields.length) return routeFieldErrors(data.fields, fieldPaths);
  const out = emptyRouted();
  out.general.push(data.message);
  return out;
}
