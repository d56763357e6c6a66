// How a calibration's fit reads: signed relative residuals, RMS, bound
// warnings, and the scales of the residual bars and the parity plot.
import type { CalibrationReport } from './types.ts';
import { formatNumber } from './format.ts';
import { costUnit, formatCost } from './costs.ts';

export type FitParameter = CalibrationReport['parameters'][number];
export type FitPoint = CalibrationReport['points'][number];

/** A share as a signed percentage: 0.432 -> "+43.2 %", -0.0013 -> "−0.13 %", 0 -> "±0 %". */
export function signedPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  if (share === 0) return '±0 %';
  return `${share > 0 ? '+' : '−'}${formatNumber(Math.abs(share) * 100)} %`;
}

/** An unsigned share as a percentage (RMS): 0.305 -> "30.5 %". */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  return `${formatNumber(share * 100)} %`;
}

/** What an RMS change means in words, for the summary line. */
export function rmsVerdict(report: Pick<CalibrationReport, 'rmsBefore' | 'rmsAfter'>): 'better' | 'worse' | 'unchanged' {
  const { rmsBefore: before, rmsAfter: after } = report;
  if (Math.abs(after - before) <= 1e-9 * Math.max(1, before)) return 'unchanged';
  return after < before ? 'better' : 'worse';
}

/**
 * Why a parameter at a bound matters: the fit stopped there, so the data ask
 * for a value beyond it. Null when the fitted value is inside the bounds.
 */
export function boundWarning(p: FitParameter): string | null {
  if (p.atBound === null) return null;
  const side = p.atBound === 'max' ? 'above the maximum' : 'below the minimum';
  const bound = p.atBound === 'max' ? p.max : p.min;
  return `${p.name} stopped at its ${p.atBound} (${formatCost(bound)} ${costUnit(p.name)}): the data want a value ${side}. Widen the bound, or check the points' scenarios and metrics before trusting this value.`;
}

/** Each residual's bar as a share of the half-width, against the largest residual (at least 1 %, so tiny ones stay tiny). */
export function residualBars(points: readonly Pick<FitPoint, 'relativeResidual'>[]): number[] {
  const largest = Math.max(0.01, ...points.map((p) => Math.abs(p.relativeResidual)).filter(Number.isFinite));
  return points.map((p) => (Number.isFinite(p.relativeResidual) ? Math.max(-1, Math.min(1, p.relativeResidual / largest)) : 0));
}

/** The parity plot's axis: 0 up to a round number above every observed and simulated value. */
export function parityMax(points: readonly Pick<FitPoint, 'observed' | 'initialSimulated' | 'fittedSimulated'>[]): number {
  const values = points.flatMap((p) => [p.observed, p.initialSimulated, p.fittedSimulated]).filter((v) => Number.isFinite(v) && v > 0);
  if (values.length === 0) return 1;
  const top = Math.max(...values) * 1.08;
  const step = 10 ** Math.floor(Math.log10(top));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * step >= top) return m * step;
  return 10 * step;
}

/** How far off a point is, for its color: within 5 % reads as fitted, beyond 20 % as a misfit. */
export function residualTone(share: number): 'good' | 'neutral' | 'bad' {
  const abs = Math.abs(share);
  if (!Number.isFinite(abs) || abs > 0.2) return 'bad';
  return abs <= 0.05 ? 'good' : 'neutral';
}
