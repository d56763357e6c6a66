// Prints the validation table of docs/MODEL.md: every published figure of
// DOMAIN.md §7 the model can express, fitted or predicted, with the model's
// value and the ratio (core/model/validation.ts). `--json` prints the rows.
// Run: npm run validate [-- --json]
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
  console.log(`Model ${MODEL_VERSION}, \`npm run validate\`:\n`);
  console.log(validationMarkdown(outcomes));
}
