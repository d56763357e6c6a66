import { describe, expect, it } from 'vitest';
import { parseScenario, scenarioJsonSchema } from '../../../../core/model/scenario.ts';
import { deleteIn, getIn, groupFields, labelOf, schemaDefaults, schemaToFields, splitName } from './schema-form.ts';

describe('labelOf', () => {
  it('splits camelCase and recognizes units from the suffix', () => {
    expect(labelOf('durationMs')).toBe('Duration (ms)');
    expect(labelOf('interruptModerationUs')).toBe('Interrupt moderation (µs)');
    expect(labelOf('exitRoundTripNs')).toBe('Exit round trip (ns)');
    expect(labelOf('lineRateGbps')).toBe('Line rate (Gbit/s)');
    expect(labelOf('rxBufferBytes')).toBe('RX buffer (bytes)');
    expect(labelOf('txCopyNsPerKiB')).toBe('TX copy (ns/KiB)');
  });

  it('writes acronyms the usual way and keeps a leading lowercase v', () => {
    expect(labelOf('mtu')).toBe('MTU');
    expect(labelOf('vcpus')).toBe('vCPUs');
    expect(labelOf('kconfigDefault')).toBe('Kconfig default');
    expect(labelOf('cmdline')).toBe('Command line');
  });

  it('does not take a lowercase ending for a unit', () => {
    expect(splitName('items')).toEqual({ words: ['items'], unit: undefined });
    expect(splitName('Ms').unit).toBeUndefined();
  });
});

describe('schemaToFields on the real scenario schema', () => {
  const fields = schemaToFields(scenarioJsonSchema());
  const byPath = new Map(fields.map((f) => [f.path, f]));

  it('describes every leaf of the scenario, and every leaf has a section', () => {
    const defaults = parseScenario({}) as unknown as Record<string, Record<string, unknown> | unknown>;
    // Every leaf of a fully defaulted scenario is editable (plus `name`, `costProfile` and `workload.tsqLimitBytes`, which have no default:
    // the TSQ limit follows the guest kernel unless set).
    const leaves: string[] = [];
    const collect = (obj: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(obj)) {
        const path = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === 'object') collect(v as Record<string, unknown>, path);
        else leaves.push(path);
      }
    };
    collect(defaults as Record<string, unknown>, '');
    for (const path of leaves) expect(byPath.has(path), path).toBe(true);
    expect(byPath.has('name')).toBe(true);
    expect(byPath.get('costProfile')).toMatchObject({ kind: 'string', default: undefined });
    expect(byPath.get('workload.tsqLimitBytes')).toMatchObject({ default: undefined });
    expect(fields.length).toBe(leaves.length + 3);
  });

  it('carries kinds, bounds and defaults from the schema', () => {
    expect(byPath.get('device.mtu')).toMatchObject({ kind: 'integer', min: 576, max: 9216, default: 1500, group: 'device', label: 'MTU' });
    expect(byPath.get('device.lineRateGbps')).toMatchObject({ kind: 'number', unit: 'Gbit/s', label: 'Line rate (Gbit/s)' });
    expect(byPath.get('viommu.backend')).toMatchObject({ kind: 'enum', options: ['none', 'shadow-sl', 'nested-fl', 'shadow-fl-wp', 'virtio-iommu'], default: 'nested-fl' });
    expect(byPath.get('guest.untrusted')).toMatchObject({ kind: 'boolean', default: false });
    expect(byPath.get('guest.kernel')).toMatchObject({ kind: 'string', minLength: 1, default: '6.3' });
    expect(byPath.get('device.kind')).toMatchObject({ kind: 'enum', options: ['nic', 'nvme'], default: 'nic' });
  });

  it('leaves derived fields without a default', () => {
    // The backend decides the vIOMMU caps, the flush-queue kind its size, the cost table the costs.
    expect(byPath.get('viommu.cachingMode')).toMatchObject({ kind: 'boolean', default: undefined });
    expect(byPath.get('flushQueue.size')?.default).toBeUndefined();
    expect(byPath.get('costs.kvmExitNs')).toMatchObject({ kind: 'number', default: undefined, group: 'costs', unit: 'ns' });
  });

  it('groups policy on its own, top-level scalars under Simulation, costs last and advanced', () => {
    expect(byPath.get('policy')?.group).toBe('policy');
    expect(byPath.get('durationMs')?.group).toBe('simulation');
    const groups = groupFields(fields);
    expect(groups.map((g) => g.label)).toEqual(['Guest', 'vIOMMU', 'Hardware IOMMU', 'Policy', 'Flush queue', 'Device', 'Workload', 'Simulation', 'Costs']);
    expect(groups.filter((g) => g.advanced).map((g) => g.key)).toEqual(['costs']);
    expect(groups.reduce((n, g) => n + g.fields.length, 0)).toBe(fields.length);
  });

  it('schemaDefaults parses to the service defaults', () => {
    // Only schema defaults are written out, so the derived fields resolve the same way.
    expect(parseScenario(schemaDefaults(fields))).toEqual(parseScenario({}));
    expect(getIn(schemaDefaults(fields), 'viommu.cachingMode')).toBeUndefined();
  });
});

describe('schemaToFields on a hand-written schema', () => {
  const schema = {
    type: 'object',
    properties: {
      seed: { type: 'integer', minimum: 0, default: 7 },
      mode: { type: 'string', enum: ['a', 'b'] },
      link: {
        type: 'object',
        properties: {
          speedGbps: { type: 'number', exclusiveMinimum: 0, maximum: 400, description: 'per port' },
          jumbo: { type: 'boolean' },
          inner: { type: 'object', properties: { delayUs: { type: 'number', default: 3 } } },
          hops: { type: 'array', items: { type: 'integer' } },
        },
      },
      label: { type: 'string', maxLength: 10 },
    },
  };

  it('walks nested objects, names sections by their top-level key and skips what an input cannot edit', () => {
    const fields = schemaToFields(schema);
    expect(fields.map((f) => f.path)).toEqual(['seed', 'mode', 'link.speedGbps', 'link.jumbo', 'link.inner.delayUs', 'label']);
    expect(fields.find((f) => f.path === 'link.inner.delayUs')).toMatchObject({ group: 'link', label: 'Delay (µs)', default: 3, kind: 'number' });
    expect(fields.find((f) => f.path === 'link.speedGbps')).toMatchObject({ min: 0, max: 400, description: 'per port', unit: 'Gbit/s' });
    expect(fields.find((f) => f.path === 'mode')).toMatchObject({ kind: 'enum', options: ['a', 'b'], default: undefined, group: 'simulation' });
    expect(fields.find((f) => f.path === 'label')).toMatchObject({ kind: 'string', maxLength: 10 });
  });

  it('orders known sections first, then unknown ones in schema order', () => {
    const groups = groupFields(schemaToFields(schema));
    expect(groups.map((g) => [g.key, g.label])).toEqual([
      ['simulation', 'Simulation'],
      ['link', 'Link'],
    ]);
  });

  it('returns nothing for a schema without properties', () => {
    expect(schemaToFields({ type: 'string' })).toEqual([]);
  });
});

describe('nested-object helpers', () => {
  it('deleteIn drops parents it leaves empty but keeps siblings', () => {
    const obj: Record<string, unknown> = { a: { b: { c: 1 } }, d: { e: 1, f: 2 } };
    deleteIn(obj, 'a.b.c');
    deleteIn(obj, 'd.e');
    expect(obj).toEqual({ d: { f: 2 } });
  });
});
