// The rough edges a daily user of the command hits, through the compiled bin:
// -o never overwrites without --force, simulate --seeds summarizes its seeds,
// Ctrl-C cancels the runs and exits 130, `start` journals nothing, and
// `policy` names every word it could not use and the edges of its knowledge.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillJournal } from '../../bench/journal.ts';
import { openJournal } from '../../db/index.ts';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';
import { cliBin, interruptOnceRunning, journalStatuses, runCli } from './cli-run.ts';

after(cleanupTempDirs);

const SHORT = ['--set', 'durationMs=30', '--set', 'warmupMs=3'];

async function simulated(journal: string, preset: string, seeds: number): Promise<string[]> {
  const r = await runCli(['simulate', '--preset', preset, ...SHORT, '--seeds', String(seeds), '--json', '--journal', journal]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { runId: string } | { results: { runId: string }[] };
  return 'results' in out ? out.results.map((x) => x.runId) : [out.runId];
}

describe('-o FILE refuses to overwrite without --force', () => {
  const dir = tempDir();
  const journal = join(dir, 'j.sqlite');
  let base: string[] = [];
  let head: string[] = [];

  test('setup: two run sets', async () => {
    base = await simulated(journal, 'seed-before-fix', 2);
    head = await simulated(journal, 'seed-after-fix', 2);
  });

  const commands: [string, () => string[]][] = [
    ['export runs', () => ['export', 'runs', '--journal', journal]],
    ['export compare --format text', () => ['export', 'compare', '--journal', journal, '--base', ...base, '--head', ...head]],
    ['export compare --format html', () => ['export', 'compare', '--journal', journal, '--base', ...base, '--head', ...head, '--format', 'html']],
  ];
  for (const [name, argv] of commands) {
    test(`${name}: exit 2 and the file untouched, then --force replaces it`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.out`);
      writeFileSync(file, 'keep me\n');
      const refused = await runCli([...argv(), '-o', file]);
      assert.equal(refused.code, 2, refused.err);
      assert.equal(refused.err, `iommu-lab: --output: ${file} exists; add --force to overwrite it, or choose another name\n`);
      assert.equal(readFileSync(file, 'utf8'), 'keep me\n');
      assert.equal(refused.out, '');

      const forced = await runCli([...argv(), '-o', file, '--force']);
      assert.equal(forced.code, 0, forced.err);
      const content = readFileSync(file, 'utf8');
      assert.notEqual(content, 'keep me\n');
      assert.match(content, name === 'export runs' ? /^id,name,kind,status/ : name.endsWith('html') ? /^<!doctype html>/ : /^seed-before-fix vs seed-after-fix\n/);
      assert.equal(statSync(file).mode & 0o777, 0o600, 'run data is the user\'s alone');
      assert.match(forced.err, new RegExp(`^wrote .* to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));

      // A new file needs no --force.
      const fresh = join(dir, `${name.replace(/\W+/g, '-')}.new`);
      assert.equal((await runCli([...argv(), '-o', fresh])).code, 0);
      assert.ok(existsSync(fresh));
    });
  }
});

describe('simulate --seeds N: mean ± sd per headline metric', () => {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

  for (const saved of [true, false]) {
    test(`${saved ? 'journaled' : '--no-save'}: --json holds { results, summary }, the summary the seeds' statistics`, async () => {
      const dir = tempDir();
      const r = await runCli(['simulate', '--preset', 'seed-before-fix', ...SHORT, '--seeds', '4', '--json', '--journal', join(dir, 'j.sqlite'), ...(saved ? [] : ['--no-save'])]);
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out) as { results: { seed: number; throughputGbps: number; vmExitsPerSec: number; cpu: { utilization: number } }[]; summary: Record<string, { n: number; mean: number; sd: number; min: number; max: number }> };
      assert.deepEqual(out.results.map((x) => x.seed), [1, 2, 3, 4]);
      assert.deepEqual(Object.keys(out.summary), ['throughputGbps', 'packetsPerSec', 'vmExitsPerSec', 'invalidationsPerSec', 'flushesPerSec', 'cpuUtilization', 'vmmLockUtilization', 'staleWindowP99Us']);
      const tput = out.results.map((x) => x.throughputGbps);
      assert.equal(out.summary.throughputGbps!.n, 4);
      assert.ok(Math.abs(out.summary.throughputGbps!.mean - mean(tput)) < 1e-9);
      assert.ok(Math.abs(out.summary.throughputGbps!.sd - sd(tput)) < 1e-9);
      assert.ok(out.summary.throughputGbps!.sd > 0, 'seeds differ');
      assert.equal(out.summary.vmExitsPerSec!.min, Math.min(...out.results.map((x) => x.vmExitsPerSec)));
      assert.equal(out.summary.cpuUtilization!.max, Math.max(...out.results.map((x) => x.cpu.utilization)));
    });
  }

  test('human output: a summary table under the seeds\' columns, values as the catalog shows them', async () => {
    const dir = tempDir();
    const r = await runCli(['simulate', '--preset', 'seed-before-fix', ...SHORT, '--seeds', '3', '--journal', join(dir, 'j.sqlite')]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    const at = lines.indexOf('over 3 seeds:');
    assert.ok(at > 0, r.out);
    assert.match(lines[at + 1]!, /^ +mean ± sd +min – max$/);
    assert.match(lines[at + 2]!, /^Throughput \(Gbit\/s\) +\d+(\.\d+)? ± \d+(\.\d+)? +\d+(\.\d+)? – \d+(\.\d+)?$/);
    assert.ok(lines.some((l) => /^vCPU utilization \(%\) +(9\d|100)(\.\d+)? ± /.test(l)), 'shares in percent');
    const one = await runCli(['simulate', '--preset', 'seed-before-fix', ...SHORT, '--journal', join(dir, 'j.sqlite')]);
    assert.doesNotMatch(one.out, /over \d+ seeds/, 'one seed has nothing to summarize');
  });
});

/** Long enough that the runs are still running when Ctrl-C comes. */
const SLOW = ['--set', 'durationMs=20000', '--set', 'warmupMs=3'];

describe('Ctrl-C cancels the runs, then exits 130', () => {
  test('simulate: every run ends cancelled in the journal, none left running', async () => {
    const journal = join(tempDir(), 'j.sqlite');
    const r = await interruptOnceRunning(['simulate', '--preset', 'seed-after-fix', ...SLOW, '--seeds', '3', '--journal', journal], journal);
    assert.equal(r.code, 130, r.err);
    assert.deepEqual(journalStatuses(journal), ['cancelled', 'cancelled', 'cancelled']);
    assert.match(r.err, /0 done, 0 failed, 3 cancelled of 3 runs \(interrupted by Ctrl-C\)/);
  });

  test('sweep: every run ends cancelled in the journal', async () => {
    const dir = tempDir();
    const journal = join(dir, 'j.sqlite');
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ name: 'ctrl-c', base: { preset: 'seed-after-fix', overrides: ['durationMs=20000', 'warmupMs=3'] }, grid: { policy: ['strict', 'lazy'] }, seeds: 2 }));
    const r = await interruptOnceRunning(['sweep', spec, '--json', '--journal', journal], journal);
    assert.equal(r.code, 130, r.err);
    assert.deepEqual(journalStatuses(journal), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    assert.equal((JSON.parse(r.out) as { runs: { status: string }[] }).runs.length, 4);
  });
});

test('simulate --no-save: Ctrl-C stops the runs and exits 130, saying nothing was journaled', async () => {
  const dir = tempDir();
  const journal = join(dir, 'j.sqlite');
  const ready = fileURLToPath(new URL('../fixtures/sigint-ready.cjs', import.meta.url));
  const child = spawn(process.execPath, ['--require', ready, cliBin, 'simulate', '--preset', 'seed-after-fix', ...SLOW, '--seeds', '2', '--no-save', '--journal', journal], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const listening = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => (err += d.toString()).includes('[sigint-ready]') && resolve()));
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  await listening;
  child.kill('SIGINT');
  assert.deepEqual(await closed, { code: 130, signal: null }, err);
  assert.match(err, /iommu-lab: interrupted by Ctrl-C; 2 runs stopped, nothing journaled \(--no-save\)\n$/);
  assert.ok(!existsSync(journal), 'nothing journaled');
});

describe('start', () => {
  test('is the quick look and journals nothing: the journal file is never created', async () => {
    const dir = tempDir();
    const journal = join(dir, 'j.sqlite');
    const r = await runCli(['start'], { ...process.env, IOMMU_LAB_JOURNAL: journal });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /seed-before-fix +seed-after-fix/);
    assert.ok(!existsSync(journal), 'no journal written');
    const help = await runCli(['--help']);
    assert.match(help.out.replace(/\s+/g, ' '), /start the quick look: .* journals nothing\)/);
    assert.match(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'), /### `iommu-lab start`\n\n[^#]*It journals nothing/);
  });
});

describe('policy', () => {
  test('every word outside --cmdline is named, with the quoted form to use', async () => {
    const r = await runCli(['policy', '--kernel', '6.8', '--cmdline', 'iommu.strict=0', 'intel_iommu=on', 'iommu=pt']);
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      "iommu-lab: --cmdline takes the whole kernel command line as one quoted argument; these 2 words were outside it: intel_iommu=on iommu=pt\n  quote it: --cmdline 'iommu.strict=0 intel_iommu=on iommu=pt'\n",
    );
  });

  test('lists every ignored token, malformed values too', async () => {
    const r = await runCli(['policy', '--kernel', '6.8', '--cmdline', 'quiet iommu.strict=maybe intel_iommu=on,xyz,abc iommu.bogus=1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\nIgnored:\n {2}iommu\.strict=maybe\n {2}intel_iommu=xyz\n {2}intel_iommu=abc\n {2}iommu\.bogus=1\n/);
  });

  test('warns about a kernel newer than the newest release it knows, naming it', async () => {
    const r = await runCli(['policy', '--kernel', '6.19.2']);
    assert.match(r.out, /\nWarnings:\n {2}kernel: v6\.19 is newer than v6\.16, the newest release this lab knows;/);
    const json = JSON.parse((await runCli(['policy', '--kernel', '7.0', '--json'])).out) as { warnings: string[] };
    assert.ok(json.warnings.some((w) => w.startsWith('kernel: v7.0 is newer than v6.16')));
  });

  test('never shows DMA_FQ for kernels before 5.15: a lazy domain there is a non-strict IOMMU_DOMAIN_DMA', async () => {
    for (const kernel of ['5.10', '5.14.21', '4.19.300']) {
      const text = await runCli(['policy', '--kernel', kernel, '--caps', 'cm']);
      assert.equal(text.code, 0, text.err);
      assert.doesNotMatch(text.out, /DMA_FQ|dma-fq/i, `${kernel}:\n${text.out}`);
      const json = JSON.parse((await runCli(['policy', '--kernel', kernel, '--json'])).out) as { kernelDomainType: string; strict: boolean };
      assert.equal(json.strict, false);
      assert.equal(json.kernelDomainType, 'IOMMU_DOMAIN_DMA', kernel);
    }
    const lazy510 = await runCli(['policy', '--kernel', '5.10']);
    assert.match(lazy510.out, /^Decision: kernel 5\.10\.0 \(generation 1\): dma \(lazy: non-strict mode, flush queue\);/);
    const json63 = JSON.parse((await runCli(['policy', '--kernel', '6.3', '--json'])).out) as { kernelDomainType: string };
    assert.equal(json63.kernelDomainType, 'IOMMU_DOMAIN_DMA_FQ');
  });
});

test('a reader that stops early (`runs list | head -1`) ends the command quietly, with its own exit code', async () => {
  const journal = join(tempDir(), 'j.sqlite');
  const j = openJournal(journal);
  fillJournal(j, 2000);
  j.close();
  // 1000 rows (about 150 kB) are more than a pipe holds, so the command is still writing when head has gone.
  const script = `"${process.execPath}" "${cliBin}" runs list --limit 1000 --journal "${journal}" 2>"${journal}.err" | head -1; echo "exit \${PIPESTATUS[0]}"`;
  const r = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  const [header, status] = r.trim().split('\n');
  assert.match(header ?? '', /^id\s+status\s+name/);
  assert.equal(status, 'exit 0');
  assert.equal(readFileSync(`${journal}.err`, 'utf8'), '', 'nothing on stderr: no EPIPE stack trace');
});
