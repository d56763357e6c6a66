// Prints the preset results table of docs/MODEL.md: each network preset run
// strict and lazy with the shipped cost table (its own duration and seed),
// so the numbers in the document come from runs. `--write` also puts the
// table into docs/MODEL.md between its markers; a test fails when it is stale.
// Run: node --import tsx bench/preset-results.ts [--write]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findPreset } from '../core/model/presets.ts';
import { mergeDeep } from '../core/model/scenario.ts';
import { simulate } from '../core/simulate.ts';
import type { SimulationResult } from '../core/model/result.ts';

/** The presets of the table, in its order (the network presets the calibration and the backends discussion use). */
export const TABLE_PRESETS = ['seed-before-fix', 'seed-after-fix', 'bare-metal', 'shadow-sl', 'shadow-fl-wp', 'seed-tx'] as const;
export const BEGIN_MARKER = '<!-- preset results: node --import tsx bench/preset-results.ts --write -->';
export const END_MARKER = '<!-- end of preset results -->';

const perSec = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

function runPreset(name: string, policy: 'strict' | 'lazy'): SimulationResult {
  const preset = findPreset(name);
  if (!preset) throw new Error(`preset ${name} is gone: update TABLE_PRESETS`);
  return simulate(mergeDeep(preset.scenario, { policy }));
}

/** The markdown table: VMM path, throughput, exits (in-kernel faults included) and bottleneck per policy. */
export function presetResultsMarkdown(): string {
  const lines = [
    '| preset | VMM path (table) | strict Gbit/s | lazy Gbit/s | exits + faults /s strict / lazy | bottleneck strict / lazy |',
    '|---|---|---|---|---|---|',
  ];
  for (const name of TABLE_PRESETS) {
    const strict = runPreset(name, 'strict');
    const lazy = runPreset(name, 'lazy');
    const events = (r: SimulationResult) => perSec(r.vmExitsPerSec + r.kvmFaultsPerSec);
    const path = `${strict.vmmPath.path} (${strict.vmmPath.pageTable})`;
    lines.push(
      `| \`${name}\` | ${path} | ${strict.throughputGbps.toFixed(1)} | ${lazy.throughputGbps.toFixed(1)} | ${events(strict)} / ${events(lazy)} | ${strict.bottleneck.kind} / ${lazy.bottleneck.kind} |`,
    );
  }
  return lines.join('\n');
}

/** docs/MODEL.md with `table` between the markers. */
export function withTable(doc: string, table: string): string {
  const a = doc.indexOf(BEGIN_MARKER);
  const b = doc.indexOf(END_MARKER);
  if (a < 0 || b < a) throw new Error(`docs/MODEL.md: markers ${BEGIN_MARKER} ... ${END_MARKER} not found`);
  return `${doc.slice(0, a + BEGIN_MARKER.length)}\n${table}\n${doc.slice(b)}`;
}

export const MODEL_DOC = fileURLToPath(new URL('../docs/MODEL.md', import.meta.url));

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const table = presetResultsMarkdown();
  console.log(table);
  if (process.argv.includes('--write')) {
    writeFileSync(MODEL_DOC, withTable(readFileSync(MODEL_DOC, 'utf8'), table));
    console.error('wrote the preset results into docs/MODEL.md');
  }
}
