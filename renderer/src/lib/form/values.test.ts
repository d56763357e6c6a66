import { describe, expect, it } from 'vitest';
import { BACKENDS, parseScenario, scenarioJsonSchema } from '../../../../core/model/scenario.ts';
import { getIn, schemaDefaults, schemaToFields, type FieldDescriptor } from './schema-form.ts';
import { configFromDraft, draftFromConfig, parseFieldText, parseSeeds, parseTags, parseValueList } from './values.ts';

const fields = schemaToFields(scenarioJsonSchema());
const field = (path: string): FieldDescriptor => {
  const f = fields.find((d) => d.path === path);
  if (!f) throw new Error(`no field ${path}`);
  return f;
};

describe('parseFieldText', () => {
  it('checks integers against the schema bounds', () => {
    const mtu = field('device.mtu');
    expect(parseFieldText(mtu, ' 9000 ')).toEqual({ ok: true, value: 9000 });
    expect(parseFieldText(mtu, '100')).toEqual({ ok: false, message: 'must be at least 576', value: 100 });
    expect(parseFieldText(mtu, '9217')).toEqual({ ok: false, message: 'must be at most 9216', value: 9217 });
    expect(parseFieldText(mtu, '1500.5')).toMatchObject({ ok: false, message: 'must be an integer' });
    expect(parseFieldText(mtu, 'jumbo')).toEqual({ ok: false, message: 'must be an integer from 576 to 9216' });
  });

  it('accepts fractions and exponents for numbers', () => {
    expect(parseFieldText(field('device.rxPageUnmapShare'), '0.05')).toEqual({ ok: true, value: 0.05 });
    expect(parseFieldText(field('costs.kvmExitNs'), '1e3')).toEqual({ ok: true, value: 1000 });
  });

  it('checks enums and booleans', () => {
    expect(parseFieldText(field('viommu.backend'), 'shadow-sl')).toEqual({ ok: true, value: 'shadow-sl' });
    expect(parseFieldText(field('viommu.backend'), 'vfio')).toEqual({ ok: false, message: `must be one of ${BACKENDS.join(', ')}` });
    expect(parseFieldText(field('guest.untrusted'), 'on')).toEqual({ ok: true, value: true });
    expect(parseFieldText(field('guest.untrusted'), 'False')).toEqual({ ok: true, value: false });
    expect(parseFieldText(field('guest.untrusted'), 'maybe')).toEqual({ ok: false, message: 'must be true or false' });
  });

  it('checks string lengths and keeps the text as typed', () => {
    expect(parseFieldText(field('guest.cmdline'), ' iommu.strict=1 ')).toEqual({ ok: true, value: ' iommu.strict=1 ' });
    expect(parseFieldText(field('guest.cmdline'), 'x'.repeat(4097))).toEqual({ ok: false, message: 'must have at most 4096 characters' });
  });
});

describe('draft <-> config', () => {
  it('round-trips the schema defaults into the same scenario', () => {
    const defaults = schemaDefaults(fields);
    const { config, errors } = configFromDraft(fields, draftFromConfig(fields, defaults), defaults);
    expect(errors).toEqual({});
    // An empty text means "not set": the empty default command line is left to the schema.
    expect(getIn(config, 'guest.cmdline')).toBeUndefined();
    expect(getIn(config, 'device.mtu')).toBe(1500);
    expect(parseScenario(config)).toEqual(parseScenario(defaults));
  });

  it('drops cleared fields, so the default or the derived value applies', () => {
    const draft = draftFromConfig(fields, { device: { mtu: 9000 }, viommu: { cachingMode: true } });
    draft['viommu.cachingMode'] = '';
    const { config } = configFromDraft(fields, draft);
    expect(config).toEqual({ device: { mtu: 9000 } });
  });

  it('keeps what the form does not show (base) and reports bad text per field', () => {
    const draft = draftFromConfig(fields, {});
    draft['device.mtu'] = '100';
    draft['device.queues'] = 'many';
    const { config, errors } = configFromDraft(fields, draft, { name: 'mine', extra: { kept: 1 } });
    expect(errors).toEqual({ 'device.mtu': 'must be at least 576', 'device.queues': 'must be an integer from 1 to 256' });
    // The out-of-range number still goes to the service (it names the same field); unparseable text cannot.
    expect(config).toEqual({ extra: { kept: 1 }, device: { mtu: 100 } });
  });
});

describe('parseValueList', () => {
  it('parses each value per the field kind', () => {
    expect(parseValueList(field('viommu.backend'), 'nested-fl, shadow-sl')).toEqual({ values: ['nested-fl', 'shadow-sl'], error: undefined });
    expect(parseValueList(field('device.mtu'), '1500,9000,')).toEqual({ values: [1500, 9000], error: undefined });
    expect(parseValueList(field('guest.untrusted'), 'false, true')).toEqual({ values: [false, true], error: undefined });
  });

  it('names each bad value and repeated ones', () => {
    const r = parseValueList(field('device.mtu'), '1500, 100, x, 1500');
    expect(r.values).toEqual([1500]);
    expect(r.error).toBe('100: must be at least 576; x: must be an integer from 576 to 9216; 1500 is listed twice');
    expect(parseValueList(field('device.mtu'), ' , ').error).toMatch(/at least one value/);
  });
});

describe('run settings', () => {
  it('parses seeds from 1 to 1000', () => {
    expect(parseSeeds('5')).toEqual({ seeds: 5, error: undefined });
    expect(parseSeeds('0').error).toBe('must be an integer from 1 to 1000');
    expect(parseSeeds('1001').error).toBeDefined();
    expect(parseSeeds('2.5').error).toBeDefined();
  });

  it('splits tags on spaces and commas and drops duplicates', () => {
    expect(parseTags('seed, v6.2  seed')).toEqual({ tags: ['seed', 'v6.2'], error: undefined });
    expect(parseTags('x'.repeat(65)).error).toMatch(/longer than 64/);
    expect(parseTags(Array.from({ length: 21 }, (_, i) => `t${i}`).join(' ')).error).toBe('at most 20 tags (got 21)');
  });
});
