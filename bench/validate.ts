// Prints the validation table of docs/MODEL.md: every published figure of
// DOMAIN.md §7 the model can express, fitted or predicted, with the model's
// value and the ratio (core/model/validation.ts). `--json` prints the rows;
// `--write` also puts the table into docs/MODEL.md between its markers.
// Run: npm run validate [-- --json | --write]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluateValidation, validationMarkdown } from '../core/model/validation.ts';
import { MODEL_VERSION } from '../core/model/version.ts';

const outcomes = evaluateValidation();
if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify(
      outcomes.map((o) => ({ id: o.row.id, basis: o.row.basis, published: o.row.value, band: o.row.band, model: o.modelValue, ratio: o.ratio, status: o.status, note: o.note })),
      null,
      2,
    ),
  );
} else {
  const table = validationMarkdown(outcomes);
  console.log(`Model ${MODEL_VERSION}, \`npm run validate\`:\n`);
  console.log(table);
  if (process.argv.includes('--write')) {
    const path = fileURLToPath(new URL('../docs/MODEL.md', import.meta.url));
    const doc = readFileSync(path, 'utf8');
    const begin = '<!-- validation table: npm run validate -- --write -->';
    const end = '<!-- end of validation table -->';
    const a = doc.indexOf(begin);
    const b = doc.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/MODEL.md: markers ${begin} ... ${end} not found`);
    writeFileSync(path, `${doc.slice(0, a + begin.length)}\n${table}\n${doc.slice(b)}`);
    console.error('wrote the table into docs/MODEL.md');
  }
}
