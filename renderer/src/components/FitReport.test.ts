import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import type { CalibrationReport } from '../lib/types.ts';
import { boundWarning, percent, residualBars, signedPercent } from '../lib/fit.ts';
import FitReport from './FitReport.svelte';

function report(overrides: Partial<CalibrationReport> = {}): CalibrationReport {
  return {
    profile: 'rx-fit',
    baseProfile: null,
    modelVersion: '1.0.0',
    parameters: [{ name: 'exitRoundTripNs', min: 1300, max: 21000, tableValue: 5298, initial: 5298, fitted: 21000, atBound: 'max' }],
    points: [
      { label: 'seed-before-fix vs c551678e', run: 'c551678e-40a3-4c71-98fc-0187edde0ae0', source: null, metric: 'throughputGbps', measuredMetric: 'receivedGbps', weight: 1, scenario: { preset: 'seed-before-fix' }, observed: 19.221, initialSimulated: 39.295, fittedSimulated: 27.526, relativeResidual: 0.43204 },
      { label: 'seed-after-fix = 51', run: null, source: 'seed patch cover letter', metric: 'throughputGbps', measuredMetric: null, weight: 1, scenario: { preset: 'seed-after-fix' }, observed: 51, initialSimulated: 50.979, fittedSimulated: 50.933, relativeResidual: -0.0013217 },
    ],
    rmsBefore: 0.73846,
    rmsAfter: 0.3055,
    iterations: 10,
    evaluations: 5,
    elapsedMs: 352.5,
    costs: { exitRoundTripNs: 21000 },
    ...overrides,
  };
}

describe('fit formatting', () => {
  it('writes residuals signed, with a real minus, and RMS unsigned', () => {
    expect(signedPercent(0.43204)).toBe('+43.2 %');
    expect(signedPercent(-0.0013217)).toBe('−0.132 %');
    expect(signedPercent(0)).toBe('±0 %');
    expect(signedPercent(Number.NaN)).toBe('–');
    expect(percent(0.3055)).toBe('30.6 %');
  });

  it('scales bars against the largest residual, keeping the sign', () => {
    expect(residualBars([{ relativeResidual: 0.4 }, { relativeResidual: -0.1 }, { relativeResidual: 0 }])).toEqual([1, -0.25, 0]);
    // Below 1 % the scale stops shrinking: tiny residuals stay tiny bars.
    expect(residualBars([{ relativeResidual: 0.001 }])).toEqual([0.1]);
  });

  it('warns only for a parameter at a bound, naming the side', () => {
    const p = report().parameters[0]!;
    expect(boundWarning({ ...p, atBound: null })).toBeNull();
    expect(boundWarning(p)).toMatch(/^exitRoundTripNs stopped at its max \(21000 ns\): the data want a value above the maximum/);
    expect(boundWarning({ ...p, atBound: 'min', fitted: 1300 })).toMatch(/stopped at its min \(1300 ns\): the data want a value below the minimum/);
  });
});

describe('FitReport', () => {
  it('shows RMS before and after, and each point with its observed, simulated and signed residual', () => {
    render(FitReport, { props: { report: report() } });
    const summary = screen.getByRole('region', { name: 'Fit summary' });
    expect(within(summary).getByText('73.8 %').dataset.rms).toBe('before');
    const after = within(summary).getByText('30.6 %');
    expect(after.dataset.rms).toBe('after');
    expect(after.classList.contains('good')).toBe(true);

    const rows = within(screen.getByRole('region', { name: 'Residuals' })).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    const [measured, published] = rows as [HTMLElement, HTMLElement];
    expect(within(measured).getByRole('link', { name: 'seed-before-fix vs c551678e' }).getAttribute('href')).toBe('#/runs/c551678e-40a3-4c71-98fc-0187edde0ae0');
    expect(measured.textContent).toContain('vs measured receivedGbps');
    const cells = (row: HTMLElement) => [...row.querySelectorAll('td')].map((td) => td.textContent?.replace(/\s+/g, ' ').trim());
    expect(cells(measured).slice(4)).toEqual(['19.2', '39.3', '27.5', '+43.2 %']);
    expect(cells(published).slice(4)).toEqual(['51', '51', '50.9', '−0.132 %']);
    // A published value has no run to link; its source is shown instead.
    expect(within(published).queryByRole('link')).toBeNull();
    expect(published.textContent).toContain('seed patch cover letter');

    // Bars: the positive residual fills right of the centre line, the negative one left of it.
    const fill = (row: HTMLElement) => row.querySelector<HTMLElement>('.fill')!.style;
    expect(fill(measured).left).toBe('50%');
    expect(fill(measured).width).toBe('50%');
    expect(parseFloat(fill(published).left)).toBeLessThan(50);
  });

  it('warns clearly when a fitted cost stopped at a bound', () => {
    render(FitReport, { props: { report: report() } });
    const warning = screen.getByRole('alert');
    expect(warning.textContent).toMatch(/At a bound\. exitRoundTripNs stopped at its max \(21000 ns\): the data want a value above the maximum/);
    const row = within(screen.getByRole('region', { name: 'Fitted costs' })).getAllByRole('row')[1]!;
    expect(row.classList.contains('at-bound')).toBe(true);
    expect(within(row).getByText('at max')).toBeTruthy();
    expect(row.textContent).toContain('×3.964');
  });

  it('says nothing of bounds when the fit stayed inside them, and flags an RMS that got worse', () => {
    const inside = report({ parameters: [{ name: 'exitRoundTripNs', min: 1300, max: 21000, tableValue: 5298, initial: 5298, fitted: 6100, atBound: null }], rmsAfter: 0.8 });
    render(FitReport, { props: { report: inside } });
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByText('at max')).toBeNull();
    expect(screen.getByText('80 %').classList.contains('bad')).toBe(true);
  });

  it('states the degrees of freedom; with none, or a fit cut at its iteration limit, it warns and the RMS is not green', () => {
    const { unmount } = render(FitReport, { props: { report: report({ parameters: [{ ...report().parameters[0]!, atBound: null, fitted: 6100 }] }) } });
    expect(screen.getByText('1', { selector: '[data-dof]' })).toBeTruthy();
    expect(screen.getByRole('note').textContent).toMatch(/^1 degree of freedom \(2 points - 1 cost\)\. Residuals of fitted points are a fit, not a validation\./);
    expect(screen.queryByRole('alert')).toBeNull();
    unmount();

    const two = report().parameters[0]!;
    const zero = report({
      parameters: [{ ...two, atBound: null, fitted: 6100 }, { name: 'rxPacketNs', min: 200, max: 4000, tableValue: 694, initial: 694, fitted: 700, atBound: null }],
      degreesOfFreedom: 0,
      maxIterations: 30,
      stoppedAtIterationLimit: true,
    });
    render(FitReport, { props: { report: zero } });
    expect(screen.getByText('0', { selector: '[data-dof]' }).classList.contains('bad')).toBe(true);
    const alerts = screen.getAllByRole('alert').map((a) => a.textContent);
    expect(alerts[0]).toMatch(/^Cannot validate\. 0 degrees of freedom: 2 costs fitted to 2 points\. The fit reproduces its points by construction, so its residuals cannot validate the model/);
    expect(alerts[1]).toMatch(/^Iteration limit\. The fit stopped at its iteration limit \(30\) while still improving/);
    expect(screen.getByText('30.6 %').classList.contains('good')).toBe(false);
  });

  it('draws the parity plot for points of one metric only', () => {
    const { unmount } = render(FitReport, { props: { report: report() } });
    expect(screen.getByRole('img', { name: /Observed against simulated Throughput/ })).toBeTruthy();
    unmount();
    const mixed = report();
    mixed.points = [mixed.points[0]!, { ...mixed.points[1]!, metric: 'vmExitsPerSec' }];
    render(FitReport, { props: { report: mixed } });
    expect(screen.queryByRole('img')).toBeNull();
  });
});
