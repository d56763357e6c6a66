// Result shapes of the calls the form makes, narrowed from the contract.
import type { Result } from '../../../../service/protocol/index.ts';

export type PreviewResult = Result<'scenario.preview'>;
export type PreviewOk = Extract<PreviewResult, { ok: true }>;
export type EstimateSet = PreviewOk['estimate'];
export type Estimate = EstimateSet['strict'];
export type Preset = Result<'presets.list'>[number];

/** A sweep grid entry as typed: the field path and its comma-separated values. */
export interface GridRow {
  path: string;
  text: string;
}
