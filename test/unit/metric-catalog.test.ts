// One metric catalog, every surface agreeing on it: for every catalog metric
// the CLI's table cells and headers, the UI's formatting, the exporters' notes
// and the statistics' direction say the same label, unit and direction; and
// every metric a simulation or an importer produces is in the catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCALAR_METRIC_NAMES } from '../../core/index.ts';
import { formatMetric as cliMetric, formatMetricValue as cliValue, metricHeader as cliHeader } from '../../cli/format.ts';
import { deltaTone, formatMetric as uiMetric, formatMetricValue as uiValue, metricInfo } from '../../renderer/src/lib/format.ts';
import { metricNote } from '../../service/exporters/units.ts';
import { parseMeasurement } from '../../service/importers/import.ts';
import { findMetric, METRIC_SOURCES, METRICS } from '../../service/protocol/metrics.ts';
import { compareRunSets, metricHigherIsBetter } from '../../service/stats.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DIRECTION_WORDS = { higher: 'higher is better', lower: 'lower is better', neither: 'no better direction' } as const;
/** Values spanning the formatter's ranges: tiny, plain, hundreds, thousands, millions. */
const SAMPLES = [0, 0.00123, 0.375, 9.4123, 123.6, 45_678, 2_345_678];

test('names are unique and every entry is complete', () => {
  assert.equal(new Set(METRICS.map((m) => m.name)).size, METRICS.length);
  for (const m of METRICS) {
    assert.ok(m.label.length > 0, m.name);
    assert.ok(m.sources.length > 0 && m.sources.every((s) => METRIC_SOURCES.includes(s)), m.name);
    assert.ok(['higher', 'lower', 'neither'].includes(m.direction), m.name);
  }
});

test('every surface shows every catalog metric the same way', () => {
  for (const m of METRICS) {
    const ui = metricInfo(m.name);
    assert.equal(ui.label, m.label, `UI label of ${m.name}`);
    assert.equal(ui.unit, m.unit, `UI unit of ${m.name}`);
    assert.equal(ui.better, m.direction === 'neither' ? null : m.direction, `UI direction of ${m.name}`);
    assert.equal(cliHeader(m.name), m.unit ? `${m.label} (${m.unit})` : m.label, `CLI header of ${m.name}`);
    for (const v of SAMPLES) {
      assert.equal(cliValue(m.name, v), uiValue(m.name, v), `CLI and UI value of ${m.name} at ${v}`);
      assert.equal(cliMetric(m.name, v), uiMetric(m.name, v), `CLI and UI value with unit of ${m.name} at ${v}`);
    }
    if (m.unit) assert.ok(uiMetric(m.name, 1).endsWith(` ${m.unit}`), `${m.name} shows its unit`);
    const note = metricNote(m.name);
    assert.ok(note.includes(m.label) && note.includes(DIRECTION_WORDS[m.direction]) && (!m.unit || note.includes(m.unit)), `export note of ${m.name}: ${note}`);
    assert.equal(metricHigherIsBetter(m.name), m.direction === 'neither' ? undefined : m.direction === 'higher', `statistics direction of ${m.name}`);
    assert.equal(deltaTone(m.name, 1), m.direction === 'neither' ? 'neutral' : m.direction === 'higher' ? 'good' : 'bad', `UI tone of ${m.name}`);
  }
});

test('a verdict takes its direction from the catalog', () => {
  const runs = (v: number) => [1, 2, 3, 4, 5, 6].map((seed) => ({ seed, metrics: { vmExitsPerSec: v * seed, iovaRcacheHitRatio: 0.5 + v / 10 } }));
  const c = compareRunSets(runs(1), runs(2), { resamples: 200 });
  const by = Object.fromEntries(c.metrics.map((m) => [m.metric, m]));
  assert.equal(by.vmExitsPerSec?.direction, 'lower-is-better');
  assert.equal(by.vmExitsPerSec?.verdict, 'worse');
  assert.equal(by.iovaRcacheHitRatio?.direction, 'higher-is-better');
  assert.equal(by.iovaRcacheHitRatio?.verdict, 'better');
});

test('a share shows in percent everywhere, a breakdown as its family', () => {
  assert.equal(uiMetric('cpuUtilization', 0.375), '37.5 %');
  assert.equal(cliValue('vmmLockUtilization', 0.5), '50');
  assert.deepEqual(findMetric('vmExitsPerSec.iotlb'), { ...findMetric('vmExitsPerSec'), name: 'vmExitsPerSec.iotlb', label: 'VM exits: iotlb' });
  assert.equal(findMetric('someNewCounter'), undefined);
});

test('every metric a simulation reports is in the catalog, for simulated runs', () => {
  for (const name of SCALAR_METRIC_NAMES) assert.ok(findMetric(name)?.sources.includes('simulated-nic'), name);
});

test('every metric the importers produce is in the catalog, for their tool', () => {
  const files = { iperf3: ['tcp-send.json', 'tcp-reverse.json', 'tcp-parallel.json', 'udp.json'], fio: ['randread.json', 'randrw.json', 'two-jobs.json'] } as const;
  for (const [tool, names] of Object.entries(files) as [keyof typeof files, readonly string[]][]) {
    for (const file of names) {
      const { measurement } = parseMeasurement(tool, readFileSync(`${root}test/fixtures/${tool}/${file}`, 'utf8'));
      for (const metric of Object.keys(measurement.metrics)) assert.ok(findMetric(metric)?.sources.includes(tool), `${tool} ${file}: ${metric}`);
    }
  }
});
