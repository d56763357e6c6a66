// The verdicts of the comparison rule (compare.ts), apart so that schemas can
// name them without loading the statistics.
export const VERDICTS = ['better', 'worse', 'changed', 'no change', 'no change (constant)', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];
