// The preset results table of docs/MODEL.md comes from runs: it must be what
// bench/preset-results.ts prints for the model as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BEGIN_MARKER, END_MARKER, MODEL_DOC, presetResultsMarkdown, withTable } from '../../bench/preset-results.ts';

test('docs/MODEL.md carries the preset results the model gives (node --import tsx bench/preset-results.ts --write)', () => {
  const doc = readFileSync(MODEL_DOC, 'utf8');
  assert.ok(doc.includes(BEGIN_MARKER) && doc.includes(END_MARKER), 'the preset results markers are missing');
  assert.equal(withTable(doc, presetResultsMarkdown()), doc, 'the preset results table is stale: run node --import tsx bench/preset-results.ts --write');
});

test('the table is put between its markers and nothing else changes', () => {
  const doc = `before\n${BEGIN_MARKER}\nold table\n${END_MARKER}\nafter\n`;
  assert.equal(withTable(doc, '| new |'), `before\n${BEGIN_MARKER}\n| new |\n${END_MARKER}\nafter\n`);
  assert.throws(() => withTable('no markers', '| x |'), /markers/);
});
