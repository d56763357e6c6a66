// Exports: CSV/JSON run lists and the text and HTML comparison reports.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunSummary } from '../../db/index.ts';
import { buildComparisonReport, comparisonToHtml, comparisonToText, RUN_CSV_COLUMNS, runsToCsv, runsToJson } from '../../service/exporters/index.ts';
import type { ReportRun } from '../../service/exporters/index.ts';

/** RFC 4180 reader, enough to read back what the exporter wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

function summary(i: number, extra: Partial<RunSummary> = {}): RunSummary {
  return {
    id: `00000000-0000-4000-8000-00000000000${i}`,
    name: `run ${i}`,
    status: 'done',
    kind: 'simulated',
    seed: i,
    experimentId: null,
    scenarioHash: `hash${i}`,
    modelVersion: '0.1.0',
    createdAt: '2025-03-01T10:00:00.000Z',
    startedAt: '2025-03-01T10:00:01.000Z',
    finishedAt: '2025-03-01T10:00:02.500Z',
    durationMs: 1500,
    error: null,
    tags: ['lazy', 'rx'],
    metrics: { throughputGbps: 39.29 + i / 3, vmExitsPerSec: 1e5 * i },
    ...extra,
  };
}

describe('runsToCsv / runsToJson', () => {
  test('CSV round trip: header, awkward names, empty cells and full-precision numbers', () => {
    const rows = [summary(1, { name: 'lazy, "nested" fl\nsecond line', experimentId: 'exp-1' }), summary(2, { startedAt: null, finishedAt: null, durationMs: null, metrics: { throughputGbps: 1 / 3 } })];
    const table = parseCsv(runsToCsv(rows, ['throughputGbps', 'vmExitsPerSec']));
    assert.deepEqual(table[0], [...RUN_CSV_COLUMNS, 'throughputGbps', 'vmExitsPerSec']);
    assert.equal(table.length, 3);
    const col = (name: string) => table[0]?.indexOf(name) as number;
    assert.equal(table[1]?.[col('name')], rows[0]?.name);
    assert.equal(table[1]?.[col('tags')], 'lazy rx');
    assert.equal(table[1]?.[col('createdAt')], '2025-03-01T10:00:00.000Z');
    assert.equal(Number(table[1]?.[col('throughputGbps')]), rows[0]?.metrics.throughputGbps);
    assert.equal(Number(table[2]?.[col('throughputGbps')]), 1 / 3);
    assert.equal(table[2]?.[col('vmExitsPerSec')], '');
    assert.equal(table[2]?.[col('finishedAt')], '');
  });

  test('text that a spreadsheet would run as a formula is made inert; numbers stay numbers', () => {
    const rows = [
      summary(1, { name: '=HYPERLINK("http://x","y")', tags: ['+1', 'ok'], error: '@SUM(A1)', metrics: { throughputGbps: -1.5 } }),
      summary(2, { name: '-2+3', error: 'plain' }),
    ];
    const table = parseCsv(runsToCsv(rows, ['throughputGbps']));
    const col = (name: string) => table[0]?.indexOf(name) as number;
    assert.equal(table[1]?.[col('name')], `'=HYPERLINK("http://x","y")`);
    assert.equal(table[1]?.[col('tags')], "'+1 ok");
    assert.equal(table[1]?.[col('error')], "'@SUM(A1)");
    assert.equal(table[1]?.[col('throughputGbps')], '-1.5');
    assert.equal(table[2]?.[col('name')], "'-2+3");
    assert.equal(table[2]?.[col('error')], 'plain');
    assert.equal(table[2]?.[col('tags')], 'lazy rx');
  });

  test('timestamps given in another form come out as ISO-8601 UTC', () => {
    const table = parseCsv(runsToCsv([summary(1, { createdAt: '2025-03-01T12:00:00+02:00' })], []));
    assert.equal(table[1]?.[RUN_CSV_COLUMNS.indexOf('createdAt')], '2025-03-01T10:00:00.000Z');
  });

  test('JSON keeps the runs and only the asked-for metrics', () => {
    const parsed = JSON.parse(runsToJson([summary(1), summary(2)], ['vmExitsPerSec']));
    assert.equal(parsed.length, 2);
    assert.deepEqual(parsed[1].metrics, { vmExitsPerSec: 2e5 });
    assert.equal(parsed[0].id, summary(1).id);
  });
});

function reportRun(id: string, seed: number, metrics: Record<string, number>, scenario: Record<string, unknown>, name = `run ${id}`): ReportRun {
  return { id, name, seed, metrics, scenario: scenario as ReportRun['scenario'], series: { throughputGbps: { t: [0, 1, 2, 3], v: [1, 2, 3, metrics.throughputGbps ?? 0] } } };
}

const base = { label: 'lazy', runs: [39.1, 39.3, 39.5].map((v, i) => reportRun(`aaaaaaaa-${i}`, i + 1, { throughputGbps: v, vmExitsPerSec: 100000 + 1000 * i }, { policy: 'lazy', seed: i + 1, viommu: { backend: 'shadow-sl' } })) };
const head = { label: 'strict', runs: [50.7, 51.0, 51.3].map((v, i) => reportRun(`bbbbbbbb-${i}`, i + 1, { throughputGbps: v, vmExitsPerSec: 300000 + 1500 * i }, { policy: 'strict', seed: i + 1, viommu: { backend: 'shadow-sl' } })) };

describe('comparisonToText', () => {
  const text = comparisonToText(buildComparisonReport(base, head));
  const lines = text.split('\n');

  test('rows in the kernel test robot layout: mean ± %stddev, %change, mean ± %stddev, metric', () => {
    // base mean 39.3, sd 0.2 -> 0.51%; head mean 51.0, sd 0.3 -> 0.59%; change (51 / 39.3 - 1) = +29.77%
    assert.ok(lines.includes('   39.30 ±  0.5%     +29.8%      51.00 ±  0.6%  throughputGbps'), text);
    // 101000 -> 301500: whole numbers from 1e5; sd 1000 -> 0.99%, sd 1500 -> 0.50%; change +198.51%
    assert.ok(lines.includes('  101000 ±  1.0%    +198.5%     301500 ±  0.5%  vmExitsPerSec'), text);
  });

  test('columns line up: every row puts %change and the metric at the same offsets as the header', () => {
    const header = lines.find((l) => l.includes('%change')) as string;
    const rows = lines.filter((l) => / {2}(throughputGbps|vmExitsPerSec)$/.test(l));
    assert.equal(rows.length, 2);
    const changeEnd = header.indexOf('%change') + '%change'.length;
    for (const r of rows) {
      assert.equal(r.lastIndexOf('%', changeEnd - 1), changeEnd - 1, r);
      assert.equal(r.indexOf('  ', header.indexOf('metric') - 2), header.indexOf('metric') - 2, r);
    }
  });

  test('verdicts and the exact scenario differences follow the table; the seed is not a difference', () => {
    // Three pairs with a steady ratio: the paired t test on log ratios reaches significance where the
    // exact Wilcoxon test (smallest p 0.25 at n = 3) could not; the primary metric is tested alone.
    assert.ok(lines.some((l) => /^ {2}better +throughputGbps {2}p=\d\.\de-\d+ {2}\(primary\)$/.test(l)), text);
    assert.ok(lines.some((l) => /^ {2}worse +vmExitsPerSec {3}q=/.test(l)), text);
    assert.ok(lines.includes('  policy: "lazy" -> "strict"'), text);
    assert.ok(!text.includes('  seed:'), text);
    assert.ok(!text.includes('viommu.backend:'), text);
  });
});

describe('comparisonToHtml', () => {
  const evil = { ...base, runs: base.runs.map((r, i) => (i === 0 ? { ...r, name: '<script>alert(1)</script>', scenario: { ...r.scenario, note: '</pre><img src=x onerror=alert(2)>' } } : r)) };
  const html = comparisonToHtml(buildComparisonReport(evil, head, { title: 'lazy & strict <compared>' }));

  test('self-contained: no scripts, no external URLs, a CSP that forbids loading anything', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(html, /url\(/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    // The only URL allowed is the SVG namespace, which is an identifier and never fetched.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
  });

  test('user text is escaped: run names, scenario values, the title', () => {
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!html.includes('<img'));
    assert.ok(html.includes('&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;'));
    assert.ok(html.includes('<title>lazy &amp; strict &lt;compared&gt;</title>'));
  });

  test('has the metric table with verdicts, a chart per series and every run scenario', () => {
    assert.match(html, /<tr class="v-better" data-metric="throughputGbps"><th scope="row">throughputGbps <span class="primary">primary<\/span>/);
    assert.equal((html.match(/<polyline /g) ?? []).length, 6);
    assert.equal((html.match(/<details>/g) ?? []).length, 6);
    assert.ok(html.includes(escape('"policy": "strict"')));
  });
});

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

describe('report warnings', () => {
  test('by side and code: a run counts once per code and its first message stands; a side without warnings has none', async () => {
    const { reportWarnings } = await import('../../service/exporters/report.ts');
    const run = (id: string, warnings?: { code: string; message: string }[]): ReportRun => ({ id, name: id, seed: 1, metrics: {}, scenario: {}, ...(warnings ? { warnings } : {}) });
    const lock = (message: string) => ({ code: 'lock-past-latency-threshold', message });
    const short = { code: 'run-shorter-than-flush-timer', message: 'short' };
    assert.deepEqual(reportWarnings([run('a', [lock('q_lock'), lock('BQL')]), run('b', [lock('BQL')]), run('c')], [run('d', [short])]), [
      { side: 'base', code: 'lock-past-latency-threshold', runs: 2, of: 3, message: 'q_lock' },
      { side: 'head', code: 'run-shorter-than-flush-timer', runs: 1, of: 1, message: 'short' },
    ]);
    assert.deepEqual(reportWarnings([run('a')], [run('b')]), []);
  });
});
