// iommu-lab calibrate SPEC.json: fit chosen costs to measured runs or
// published figures, print the residuals, save the costs as a named profile;
// iommu-lab profiles: list, show, hand-make and delete profiles.
import type { Command } from 'commander';
import { loadService } from '../service-module.ts';
import type { CalibrationReport, Result } from '../../service/index.ts';
import { fmt, table } from '../format.ts';
import { journalOption, withClient, type JournalOpts } from '../client.ts';
import { collect, UsageError, type Io } from '../usage.ts';
import { readSpecFile } from './simulate.ts';

const SPEC_EXAMPLE = `{
  "profile": "spr-100g",
  "description": "Sapphire Rapids host, E810 passed through, QEMU 8.2",
  "parameters": {
    "exitRoundTripNs": { "min": 1000, "max": 20000 },
    "rxPacketNs": { "min": 200, "max": 4000 }
  },
  "points": [
    { "run": "5b18a83e", "scenario": { "preset": "seed-before-fix" } },
    { "run": "0c41d2aa", "scenario": { "preset": "seed-after-fix" } },
    { "value": 51, "source": "seed patch, lazy", "scenario": { "preset": "seed-after-fix", "overrides": ["guest.vcpus=8"] } }
  ]
}`;

interface CalibrateOpts extends JournalOpts {
  dryRun: boolean;
  save: boolean;
  replace: boolean;
  json: boolean;
}

const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
const ns = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));

/**
 * The fit as a terminal reads it: costs with their bounds, every point's
 * residual, then what the fit cannot claim (`caveats`: the protocol's
 * fitCaveats, loaded with the service).
 */
export function formatReport(r: CalibrationReport, caveats: readonly string[]): string {
  const params = r.parameters.map((p) => [
    p.name,
    ns(p.tableValue),
    ns(p.initial),
    ns(p.fitted),
    `[${ns(p.min)}, ${ns(p.max)}]`,
    p.atBound ? `at its ${p.atBound} bound: the data want a value beyond it` : '',
  ]);
  const points = r.points.map((p) => [p.label, p.measuredMetric ? `${p.metric} ~ ${p.measuredMetric}` : p.metric, fmt(p.observed), fmt(p.initialSimulated), fmt(p.fittedSimulated), signedPct(p.relativeResidual)]);
  return [
    `Calibration "${r.profile}": ${r.parameters.length} cost${r.parameters.length > 1 ? 's' : ''} fitted to ${r.points.length} point${r.points.length > 1 ? 's' : ''} in ${r.iterations} iterations (${r.evaluations} evaluations, ${(r.elapsedMs / 1000).toFixed(1)} s)`,
    '',
    table([['cost (ns)', 'table', 'start', 'fitted', 'bounds', ''], ...params], ['l', 'r', 'r', 'r', 'l', 'l']),
    '',
    table([['point', 'metric', 'observed', 'before', 'after', 'residual'], ...points], ['l', 'l', 'r', 'r', 'r', 'r']),
    '',
    `RMS relative residual: ${(r.rmsBefore * 100).toFixed(2)}% -> ${(r.rmsAfter * 100).toFixed(2)}%`,
    ...caveats.map((c) => `Note: ${c}`),
  ].join('\n');
}

/** A profile's costs against the built-in cost table (`costTable`: cost name -> its value in ns). */
function describeProfile(p: Result<'profiles.get'>, costTable: Readonly<Record<string, { valueNs: number }>>, caveats: (r: CalibrationReport) => string[]): string {
  const rows = Object.entries(p.costs).map(([name, value]) => {
    const tableValue = costTable[name]?.valueNs;
    return [name, tableValue === undefined ? '-' : ns(tableValue), ns(value), tableValue ? `x${(value / tableValue).toFixed(3)}` : ''];
  });
  return [
    `${p.name}${p.description ? `: ${p.description}` : ''}`,
    `${p.fit ? 'fitted' : 'hand-made'}, model ${p.modelVersion}, updated ${p.updatedAt}`,
    '',
    table([['cost (ns)', 'table', 'profile', ''], ...rows], ['l', 'r', 'r', 'r']),
    ...(p.fit ? ['', formatReport(p.fit, caveats(p.fit))] : []),
  ].join('\n');
}

/** `name=ns` pairs from --set. */
function costsFrom(pairs: string[]): Record<string, number> {
  if (pairs.length === 0) throw new UsageError('give at least one --set COST=NS, e.g. --set exitRoundTripNs=6100');
  const costs: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z]\w*)=(.+)$/.exec(pair);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(value)) throw new UsageError(`--set ${pair}: must look like COST=NS with a number, e.g. exitRoundTripNs=6100`);
    costs[m[1] as string] = value;
  }
  return costs;
}

export function registerCalibrate(program: Command, io: Io): void {
  journalOption(
    program
      .command('calibrate <spec>')
      .description('fit chosen costs to measured runs or published figures and save them as a cost profile (spec: a JSON file)')
      .option('--dry-run', 'check the spec (every run, scenario and bound) and fit nothing', false)
      .option('--no-save', 'print the fit and save no profile')
      .option('--replace', 'overwrite a profile of the same name', false)
      .option('--json', 'print the report as JSON', false)
      .addHelpText('after', `\nSpec file ("run" is a measured run id or prefix, "value" a published figure; scenarios use the profile with --set costProfile=NAME):\n${SPEC_EXAMPLE}\n`),
  ).action(async (specPath: string, opts: CalibrateOpts) => {
    const spec = readSpecFile(specPath, SPEC_EXAMPLE);
    const full = { ...spec, ...(opts.save ? {} : { save: false }), ...(opts.replace ? { replace: true } : {}) };
    await withClient(opts, async (client) => {
      const started = await client.call('calibration.start', { spec: full as never, dryRun: opts.dryRun });
      if (opts.dryRun || !started.calibrationId) {
        return io.out(opts.json ? JSON.stringify(started) : `${started.parameters.join(', ')} fitted to ${started.points} points: the spec is valid (nothing fitted)`);
      }
      const { followCalibration } = await import('../progress.ts');
      const stop = followCalibration(client, started.calibrationId);
      const outcome = await client.call('calibration.wait', { calibrationId: started.calibrationId }).finally(stop);
      if (opts.json) io.out(JSON.stringify(outcome, null, 2));
      else if (outcome.report) io.out(formatReport(outcome.report, (await loadService()).fitCaveats(outcome.report)));
      if (outcome.status !== 'done') {
        io.err(`iommu-lab: calibration ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}`);
        process.exitCode = 1;
      } else if (!opts.json && outcome.profile) {
        io.out(`\nSaved as cost profile "${outcome.profile.name}". Use it with: iommu-lab simulate --preset ... --set costProfile=${outcome.profile.name}`);
      }
    });
  });

  const profiles = program.command('profiles').description('named cost profiles: fitted by calibrate, or made by hand');
  journalOption(profiles.command('list').description('list the cost profiles').option('--json', 'print JSON', false)).action(async (opts: JournalOpts & { json: boolean }) => {
    await withClient(opts, async (client) => {
      const all = await client.call('profiles.list', {});
      if (opts.json) return io.out(JSON.stringify(all, null, 2));
      if (all.length === 0) return io.out('No cost profiles yet. Fit one with `iommu-lab calibrate SPEC.json` or make one with `iommu-lab profiles save NAME --set COST=NS`.');
      const rows = all.map((p) => [p.name, p.fit ? 'fitted' : 'hand-made', Object.entries(p.costs).map(([k, v]) => `${k}=${ns(v)}`).join(' '), p.fit ? `${(p.fit.rmsAfter * 100).toFixed(2)}%` : '-', p.updatedAt.slice(0, 16).replace('T', ' ')]);
      io.out(table([['name', 'kind', 'costs (ns)', 'rms residual', 'updated'], ...rows], ['l', 'l', 'l', 'r', 'l']));
    });
  });
  journalOption(profiles.command('show <name>').description('a profile\'s costs against the table, and its fit with residuals').option('--json', 'print JSON', false)).action(
    async (name: string, opts: JournalOpts & { json: boolean }) => {
      await withClient(opts, async (client) => {
        const p = await client.call('profiles.get', { name });
        const { COST_TABLE, fitCaveats } = await loadService();
        io.out(opts.json ? JSON.stringify(p, null, 2) : describeProfile(p, COST_TABLE, fitCaveats));
      });
    },
  );
  journalOption(
    profiles
      .command('save <name>')
      .description('make a profile by hand from known costs')
      .option('--set <cost=ns>', 'a cost in ns, e.g. exitRoundTripNs=6100 (repeatable)', collect, [] as string[])
      .option('--description <text>', 'what the profile stands for (host, QEMU version, NIC)')
      .option('--replace', 'overwrite a profile of the same name', false),
  ).action(async (name: string, opts: JournalOpts & { set: string[]; description?: string; replace: boolean }) => {
    const costs = costsFrom(opts.set);
    await withClient(opts, async (client) => {
      const p = await client.call('profiles.save', { name, costs, replace: opts.replace, ...(opts.description ? { description: opts.description } : {}) });
      io.out(`Saved cost profile "${p.name}" (${Object.keys(p.costs).length} costs)`);
    });
  });
  journalOption(profiles.command('delete <name>').description('delete a profile (runs that used it keep their costs)')).action(async (name: string, opts: JournalOpts) => {
    await withClient(opts, async (client) => {
      const { deleted } = await client.call('profiles.delete', { name });
      if (!deleted) {
        io.err(`iommu-lab: no cost profile "${name}"`);
        process.exitCode = 1;
      } else io.out(`Deleted cost profile "${name}"`);
    });
  });
}
