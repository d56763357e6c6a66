// The human output of `simulate`: what decides the answer (effective policy and
// its source, the VMM path and why, every warning) on lines of their own; a
// result journaled by model 1.0 lacks the path and the warnings and still prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidingLines, formatResults } from '../../cli/commands/simulate.ts';
import { findPreset } from '../../core/model/presets.ts';
import { mergeDeep } from '../../core/model/scenario.ts';
import { simulate } from '../../core/simulate.ts';

const short = { durationMs: 20, warmupMs: 5 };
const run = (name: string, patch: unknown = {}) => simulate(mergeDeep(findPreset(name)!.scenario, mergeDeep(short, patch)));

test('the kernel decided: the policy line names the kernel, the path line its reason', () => {
  const r = run('seed-after-fix');
  const lines = decidingLines(r);
  assert.equal(lines[0], 'policy: lazy, chosen by the guest kernel (6.3, rule generation 3)');
  assert.equal(lines[1], `VMM path: nested-fl (first-level table): ${r.vmmPath.reason}`);
  assert.match(lines[1]!, /first-level table/);
});

test('every warning gets a line with its code; an asked policy says what the kernel alone would run', () => {
  // Lazy asked on a 6.2 caching-mode guest: unreachable from its command line, and shorter than the timer.
  const r = run('seed-before-fix', { policy: 'lazy', durationMs: 12 });
  assert.ok(r.warnings.length >= 2, JSON.stringify(r.warnings));
  const text = formatResults([r], ['result']);
  for (const w of r.warnings) assert.ok(text.split('\n').includes(`warning [${w.code}]: ${w.message}`), `${w.code} missing in:\n${text}`);
  assert.match(text, /^policy: lazy, asked by the scenario \(kernel 6\.2, rule generation 2; the kernel alone would run strict\)$/m);
  assert.match(text, /^VMM path +nested-fl \(first-level\)$/m);
});

test('a model 1.0 result (no VMM path, no warnings, no locks, no latency histograms) prints without them', () => {
  const r = run('seed-before-fix');
  const { vmmPath: _path, warnings: _warnings, locks: _locks, latencyUs: _latency, ...old } = { ...r, modelVersion: '1.0.0' };
  const text = formatResults([old], ['old']);
  assert.match(text, /throughput Gbit\/s/);
  assert.match(text, /^policy: strict, chosen by the guest kernel/m);
  assert.doesNotMatch(text, /VMM path|warning \[/);
});

test('several results: each block is headed by its name', () => {
  const a = run('seed-before-fix');
  const b = run('shadow-sl', { policy: 'lazy' });
  const text = formatResults([a, b], ['before', 'shadow']);
  assert.match(text, /^before:\n {2}policy: strict/m);
  assert.match(text, /^shadow:\n {2}policy: lazy[^\n]*\n {2}VMM path: shadow-sl \(second-level table\)/m);
});
