// The service every host carries: one journal, one worker pool, the contract's
// methods and events. `call` validates params at the boundary, runs the
// handler, and turns whatever goes wrong into a ServiceError (code, message,
// and the fields at fault).
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { BACKENDS, MODEL_VERSION, parseScenario, POLICIES, PRESETS, scenarioJsonSchema, WORKLOADS, type Scenario } from '../core/index.ts';
import { resolvePolicy } from '../core/policy/index.ts';
import { openJournal, type Journal, type JsonValue, type Run, type RunStatus, type RunSummary } from '../db/index.ts';
import { events, isMethodName, methods, type CalibrationReport, type EventData, type EventName, type LabApi, type MethodName, type Params, type ParsedParams, type Result } from './contract.ts';
import { compareRuns, summaryOf } from './compare.ts';
import { fieldsOfZodError, ServiceError, toServiceError } from './errors.ts';
import { previewScenario } from './preview.ts';
import { RunScheduler } from './scheduler.ts';
import { buildScenario, defaultRunName, journalProfiles, type CostProfiles } from './scenarios.ts';
import { buildReport, prepareCalibration, type CalibrationSpecParsed } from './calibration/prepare.ts';
import type { CalibrationJobInput, CalibrationJobOutput } from './calibration/fit.ts';
import { expandSweep } from './sweep.ts';
import { buildComparisonReport, comparisonToHtml, comparisonToText, runsToCsv, runsToJson, type ReportRun } from './exporters/index.ts';
import { HistoryInputError, type HistoryAnalysis, type HistoryInput } from './history.ts';
import { importMeasurement } from './importers/index.ts';
import { JobCancelledError, JobFailedError } from './pool/index.ts';

export interface LabOptions {
  journalPath: string;
  /** Worker threads at most (default: cores, capped at 8). */
  workers?: number;
  /** The simulate worker module; default: service/workers/simulate.worker.ts (bundled hosts pass their own). */
  workerUrl?: URL;
  /** Check every result against the contract's result schema too (tests; costs a parse per call). */
  validateResults?: boolean;
}

const ENDED: readonly RunStatus[] = ['done', 'failed', 'cancelled', 'interrupted'];
/** A fit of a few costs to a few points takes seconds to minutes; an hour means something is wrong. */
const CALIBRATION_TIME_LIMIT_MS = 60 * 60_000;
/** Finished calibrations kept for calibration.wait and calibration.save. */
const KEPT_CALIBRATIONS = 50;

type CalibrationOutcome = Result<'calibration.wait'>;
interface Calibration {
  controller: AbortController;
  ended: Promise<CalibrationOutcome>;
  outcome?: CalibrationOutcome;
  description: string | undefined;
}

type Handlers = { [M in MethodName]: (params: ParsedParams<M>) => Result<M> | Promise<Result<M>> };

export class Lab implements LabApi {
  readonly journal: Journal;
  readonly #scheduler: RunScheduler;
  readonly #events = new EventEmitter();
  readonly #validateResults: boolean;
  /** Sweeps this process carries: counts for sweep.progress. */
  readonly #sweeps = new Map<string, { total: number; ended: number; failed: number; cancelled: number }>();
  readonly #sweepOf = new Map<string, string>();
  readonly #calibrations = new Map<string, Calibration>();
  /** Cost profiles as scenarios resolve them. */
  readonly #profiles: CostProfiles;

  static open(opts: LabOptions): Lab {
    return new Lab(openJournal(opts.journalPath), opts);
  }

  private constructor(journal: Journal, opts: LabOptions) {
    this.journal = journal;
    this.#profiles = journalProfiles(journal);
    this.#validateResults = opts.validateResults === true;
    this.#events.setMaxListeners(0);
    this.#scheduler = new RunScheduler(
      journal,
      {
        onStatus: (runId, status, error) => this.#onStatus(runId, status, error),
        onProgress: (runId, fraction) => this.#emit('run.progress', { runId, fraction }),
      },
      { ...(opts.workers === undefined ? {} : { workers: opts.workers }), ...(opts.workerUrl === undefined ? {} : { workerUrl: opts.workerUrl }) },
    );
  }

  /** Calls a method by name with untrusted params (what transports do). */
  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  async call(method: string, params: unknown): Promise<unknown>;
  async call(method: string, params: unknown): Promise<unknown> {
    if (!isMethodName(method)) {
      throw ServiceError.invalid([{ path: 'method', message: `unknown method ${JSON.stringify(method)}; allowed: ${Object.keys(methods).join(', ')}` }]);
    }
    const parsed = methods[method].params.safeParse(params ?? {});
    if (!parsed.success) throw ServiceError.invalid(fieldsOfZodError(parsed.error));
    let result: unknown;
    try {
      result = await (this.#handlers[method] as (p: unknown) => unknown)(parsed.data);
    } catch (err) {
      throw toServiceError(err);
    }
    if (this.#validateResults) {
      const check = methods[method].result.safeParse(result);
      if (!check.success) throw new ServiceError('internal', `result of ${method} breaks the contract: ${check.error.message}`);
    }
    return result;
  }

  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
    this.#events.on(event, listener);
    return () => this.#events.off(event, listener);
  }

  /** Cancels the runs this process carries, stops the workers, closes the journal. */
  async close(): Promise<void> {
    await this.#scheduler.close();
    this.journal.close();
  }

  #emit<E extends EventName>(event: E, data: EventData<E>): void {
    if (this.#validateResults) events[event].parse(data);
    this.#events.emit(event, data);
  }

  #onStatus(runId: string, status: RunStatus, error: string | null): void {
    this.#emit('run.status', { runId, status, error });
    const sweepId = this.#sweepOf.get(runId);
    const sweep = sweepId === undefined ? undefined : this.#sweeps.get(sweepId);
    if (sweepId === undefined || sweep === undefined || !ENDED.includes(status)) return;
    this.#sweepOf.delete(runId);
    sweep.ended++;
    if (status === 'failed') sweep.failed++;
    if (status === 'cancelled') sweep.cancelled++;
    this.#emit('sweep.progress', { sweepId, ...sweep });
    if (sweep.ended === sweep.total) this.#sweeps.delete(sweepId);
  }

  /** A full run id from an id or a unique prefix of one (as people type them). */
  resolveRunId(idOrPrefix: string): string {
    const found = this.journal.findRunIds(idOrPrefix, 2);
    if (found.length === 1) return found[0] as string;
    if (found.length === 0) throw new ServiceError('not_found', `run ${JSON.stringify(idOrPrefix)} not found in the journal`);
    throw ServiceError.invalid([{ path: 'id', message: `${JSON.stringify(idOrPrefix)} matches more than one run; give more characters` }]);
  }

  #resolveAll(ids: readonly string[]): string[] {
    return [...new Set(ids.map((id) => this.resolveRunId(id)))];
  }

  #summaries(ids: readonly string[]): RunSummary[] {
    return ids.map((id) => summaryOf(this.journal.getRun(id, { series: false })));
  }

  /** Journals the runs (all or none), then hands them to the workers. */
  #queue(runs: { name: string; scenario: Scenario }[], opts: { experimentId: string | null; tags: readonly string[]; timeLimitMs?: number | undefined; sweepId?: string }): string[] {
    const runIds = this.journal.insertRunsBulk(
      runs.map((r) => ({ name: r.name, scenario: r.scenario, modelVersion: MODEL_VERSION, seed: r.scenario.seed, status: 'queued' as const, experimentId: opts.experimentId, tags: opts.tags })),
    );
    if (opts.sweepId !== undefined) {
      this.#sweeps.set(opts.sweepId, { total: runIds.length, ended: 0, failed: 0, cancelled: 0 });
      for (const id of runIds) this.#sweepOf.set(id, opts.sweepId);
    }
    runIds.forEach((id, i) => {
      this.#emit('run.status', { runId: id, status: 'queued', error: null });
      void this.#scheduler.schedule(id, (runs[i] as { scenario: Scenario }).scenario, opts.timeLimitMs);
    });
    return runIds;
  }

  /** Runs as report input (scenario, metrics; series only for charts). */
  #reportRuns(ids: readonly string[], series: boolean): ReportRun[] {
    return this.#resolveAll(ids).map((id) => {
      const r = this.journal.getRun(id, { series });
      if (r.status !== 'done') throw new ServiceError('conflict', `run ${r.id} is ${r.status}; only done runs can be compared`);
      return { id: r.id, name: r.name, seed: r.seed, metrics: r.metrics, scenario: r.scenario, ...(series ? { series: r.series } : {}) };
    });
  }

  #report(p: { base: string[]; head: string[]; threshold: number; alpha: number; metrics?: string[] | undefined; title?: string | undefined }, series: boolean) {
    const label = (runs: ReportRun[]) => (new Set(runs.map((r) => r.name.replace(/ seed=\d+$/, ''))).size === 1 ? (runs[0] as ReportRun).name.replace(/ seed=\d+$/, '') : `${runs.length} runs`);
    const base = this.#reportRuns(p.base, series);
    const head = this.#reportRuns(p.head, series);
    return buildComparisonReport(
      { label: label(base), runs: base },
      { label: label(head), runs: head },
      { threshold: p.threshold, alpha: p.alpha, ...(p.metrics ? { metrics: p.metrics } : {}), ...(p.title ? { title: p.title } : {}) },
    );
  }

  #calibration(calibrationId: string): Calibration {
    const c = this.#calibrations.get(calibrationId);
    if (!c) throw new ServiceError('not_found', `calibration ${JSON.stringify(calibrationId)} is not known to this process (finished ones are kept until ${KEPT_CALIBRATIONS} newer ones end)`);
    return c;
  }

  /** The journal refuses a taken name itself (ConflictError); this earlier check spares a fit that could not be saved. */
  #assertProfileFree(name: string, replace: boolean): void {
    if (!replace && this.journal.getCostProfile(name)) {
      throw new ServiceError('conflict', `cost profile ${JSON.stringify(name)} already exists; pass replace (--replace) to overwrite it, or choose another name`);
    }
  }

  #saveFitted(report: CalibrationReport, name: string, description: string | undefined, replace: boolean): Result<'profiles.get'> {
    const fit = { ...report, profile: name };
    return this.journal.saveCostProfile(
      { name, costs: report.costs, fit: fit as unknown as JsonValue, modelVersion: report.modelVersion, ...(description === undefined ? {} : { description }) },
      { replace },
    ) as Result<'profiles.get'>;
  }

  /** Fits in a worker; the outcome (report, saved profile, or why not) is kept for calibration.wait. */
  #startCalibration(spec: CalibrationSpecParsed & { save: boolean; replace: boolean }, prepared: ReturnType<typeof prepareCalibration>): string {
    const calibrationId = randomUUID();
    const controller = new AbortController();
    const job = this.#scheduler.job<CalibrationJobInput, CalibrationJobOutput>('calibrate', prepared.job, {
      signal: controller.signal,
      timeoutMs: CALIBRATION_TIME_LIMIT_MS,
      onProgress: (fraction) => this.#emit('calibration.progress', { calibrationId, fraction }),
    });
    const ended = job
      .then(
        (out): CalibrationOutcome => {
          const report = buildReport(spec, prepared, out);
          if (!spec.save) return { status: 'done', error: null, report, profile: null };
          try {
            return { status: 'done', error: null, report, profile: this.#saveFitted(report, spec.profile, spec.description, spec.replace) };
          } catch (err) {
            // The fit is kept: calibration.save can store it under another name.
            return { status: 'failed', error: `the fit ended but was not saved: ${toServiceError(err).message}`, report, profile: null };
          }
        },
        (err: unknown): CalibrationOutcome => {
          if (err instanceof JobCancelledError) return { status: 'cancelled', error: null, report: null, profile: null };
          return { status: 'failed', error: err instanceof Error ? err.message : String(err), report: null, profile: null };
        },
      )
      .then((outcome) => {
        const c = this.#calibrations.get(calibrationId);
        if (c) c.outcome = outcome;
        this.#emit('calibration.status', { calibrationId, status: outcome.status, error: outcome.error });
        const finished = [...this.#calibrations].filter(([, v]) => v.outcome);
        for (const [id] of finished.slice(0, Math.max(0, finished.length - KEPT_CALIBRATIONS))) this.#calibrations.delete(id);
        return outcome;
      });
    this.#calibrations.set(calibrationId, { controller, ended, description: spec.description });
    this.#emit('calibration.status', { calibrationId, status: 'running', error: null });
    return calibrationId;
  }

  readonly #handlers: Handlers = {
    'journal.info': () => ({
      path: this.journal.path,
      schemaVersion: this.journal.schemaVersion,
      modelVersion: MODEL_VERSION,
      runs: this.journal.listRuns({ page: { limit: 1 } }).total,
      workers: this.#scheduler.workers,
    }),

    'presets.list': () => PRESETS.map((p) => ({ ...p, scenario: p.scenario as Record<string, unknown> })),

    'scenario.schema': () => ({
      jsonSchema: scenarioJsonSchema(),
      defaults: parseScenario({}) as unknown as Record<string, unknown>,
      backends: [...BACKENDS],
      policies: [...POLICIES],
      workloads: [...WORKLOADS],
    }),

    'scenario.preview': ({ source }) => {
      const p = previewScenario(source, this.#profiles);
      if (!p.ok) return { ok: false as const, errors: p.errors.map((e) => ({ path: `scenario.${e.path}`.replace(/\.$/, ''), message: e.message })) };
      return p as unknown as Result<'scenario.preview'>;
    },

    'policy.resolve': (p) => {
      try {
        return resolvePolicy({
          kernel: p.kernel,
          kconfigDefault: p.kconfigDefault ?? 'lazy',
          cmdline: p.cmdline ?? '',
          caps: p.caps ?? { cachingMode: true, scalableMode: false, firstLevel: false, secondLevel: true },
          untrusted: p.untrusted ?? false,
        }) as unknown as Result<'policy.resolve'>;
      } catch (err) {
        // The resolver's messages read "field: what is allowed".
        const message = (err as Error).message;
        const colon = message.indexOf(': ');
        throw ServiceError.invalid([colon > 0 ? { path: message.slice(0, colon), message: message.slice(colon + 2) } : { path: '', message }]);
      }
    },

    'runs.start': (p) => {
      const base = buildScenario(p.source, this.#profiles);
      const name = p.name ?? defaultRunName(p.source, base);
      const runs = Array.from({ length: p.seeds }, (_, i) => {
        const scenario = i === 0 ? base : parseScenario({ ...base, seed: base.seed + i });
        return { name: p.seeds > 1 ? `${name} seed=${scenario.seed}` : name, scenario };
      });
      const experimentId = p.experiment === undefined ? null : this.journal.ensureExperiment({ name: p.experiment }).id;
      return { runIds: this.#queue(runs, { experimentId, tags: p.tags ?? [], timeLimitMs: p.timeLimitMs }), experimentId };
    },

    'runs.cancel': ({ ids }) => ({ cancelled: this.#scheduler.cancel(this.#resolveAll(ids)) }),

    'runs.wait': async ({ ids }) => {
      const runIds = this.#resolveAll(ids);
      await this.#scheduler.settled(runIds);
      return this.#summaries(runIds);
    },

    'runs.list': (q) => this.journal.listRuns(q),

    'runs.get': ({ id, series }) => this.journal.getRun(this.resolveRunId(id), { series }) as Result<'runs.get'>,

    'runs.delete': ({ ids }) => {
      const runIds = this.#resolveAll(ids);
      const active = runIds.filter((id) => this.#scheduler.isActive(id));
      if (active.length) throw new ServiceError('conflict', `cancel these runs before deleting them: ${active.join(', ')}`);
      return { deleted: this.journal.deleteRuns(runIds) };
    },

    'runs.tag': ({ id, add, remove }) => {
      const runId = this.resolveRunId(id);
      if (add.length) this.journal.tagRun(runId, add);
      if (remove.length) this.journal.untagRun(runId, remove);
      return { tags: this.journal.getRun(runId, { series: false }).tags };
    },

    'runs.note': ({ id, body }) => this.journal.addNote(this.resolveRunId(id), body),

    'runs.compare': ({ ids }) => {
      const runIds = ids.map((id) => this.resolveRunId(id));
      const runs: Run[] = runIds.map((id) => this.journal.getRun(id, { series: false }));
      return compareRuns(runs) as Result<'runs.compare'>;
    },

    'sweeps.start': ({ spec, dryRun }) => {
      const expanded = expandSweep(spec, this.#profiles);
      if (dryRun) return { sweepId: null, runIds: [], points: expanded.points, total: expanded.runs.length };
      const sweepId = randomUUID();
      const name = spec.name ?? `sweep ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
      const experimentId = this.journal.ensureExperiment({ name, description: `sweep over ${Object.keys(spec.grid).join(', ') || 'seeds'}` }).id;
      const runIds = this.#queue(expanded.runs, { experimentId, tags: spec.tags ?? [], sweepId });
      return { sweepId, runIds, points: expanded.points, total: runIds.length };
    },

    'runs.compareSets': (p) => this.#report(p, false) as unknown as Result<'runs.compareSets'>,

    'runs.report': (p) => {
      const report = this.#report(p, p.format === 'html');
      const content = p.format === 'text' ? comparisonToText(report) : p.format === 'html' ? comparisonToHtml(report) : JSON.stringify(report, null, 2);
      return { format: p.format, fileName: `iommu-lab-comparison.${p.format === 'text' ? 'txt' : p.format}`, content };
    },

    'runs.export': ({ query, format, metrics }) => {
      const names = metrics ?? ['throughputGbps', 'packetsPerSec', 'vmExitsPerSec', 'invalidationsPerSec', 'flushesPerSec', 'cpuUtilization', 'vmmLockUtilization', 'staleWindowP99Us'];
      const rows: RunSummary[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = this.journal.listRuns({ ...query, metrics: names, page: { limit: 1000, offset } });
        rows.push(...page.rows);
        if (page.rows.length < 1000) break;
      }
      const content = format === 'csv' ? runsToCsv(rows, names) : runsToJson(rows, names);
      return { format, fileName: `iommu-lab-runs.${format}`, runs: rows.length, content };
    },

    'measurements.import': (p) => {
      const r = importMeasurement(this.journal, {
        tool: p.tool,
        text: p.text,
        benchmark: p.benchmark,
        ...(p.context ? { context: p.context } : {}),
        ...(p.metric ? { metric: p.metric } : {}),
        ...(p.fileName ? { fileName: p.fileName } : {}),
        ...(p.tags ? { tags: p.tags } : {}),
      });
      return { runId: r.runId, metric: r.metric, value: r.value, point: r.point as Result<'measurements.import'>['point'] };
    },

    'benchmarks.analyze': async ({ name }) => {
      const benchmark = this.journal.getBenchmark(name);
      if (!benchmark) throw new ServiceError('not_found', `benchmark ${JSON.stringify(name)} not found in the journal`);
      const input: HistoryInput = {
        benchmark: { name: benchmark.name, metric: benchmark.metric, higherIsBetter: benchmark.higherIsBetter },
        points: this.journal.listBenchmarkPoints(name).map((p) => ({ id: p.id, measuredAt: p.measuredAt, value: p.value, source: p.source, runId: p.runId })),
        markers: this.journal.listMarkers(name).map((m) => ({ id: m.id, at: m.at, label: m.label })),
      };
      try {
        return (await this.#scheduler.job<HistoryInput, HistoryAnalysis>('analyzeHistory', input)) as unknown as Result<'benchmarks.analyze'>;
      } catch (err) {
        // The worker's input errors arrive by name only.
        if (err instanceof JobFailedError && err.workerName === 'HistoryInputError') throw ServiceError.invalid([{ path: 'points', message: err.message }]);
        if (err instanceof HistoryInputError) throw ServiceError.invalid([{ path: err.field, message: err.detail }]);
        throw err;
      }
    },

    'calibration.start': ({ spec, dryRun }) => {
      const prepared = prepareCalibration(spec, {
        getRun: (id) => this.journal.getRun(this.resolveRunId(id), { series: false }),
        getProfileCosts: (name) => this.journal.getCostProfile(name)?.costs,
      });
      if (spec.save) this.#assertProfileFree(spec.profile, spec.replace);
      const summary = { parameters: prepared.job.parameters.map((p) => p.name), points: prepared.job.points.length };
      if (dryRun) return { calibrationId: null, ...summary };
      return { calibrationId: this.#startCalibration(spec, prepared), ...summary };
    },

    'calibration.wait': ({ calibrationId }) => this.#calibration(calibrationId).ended,

    'calibration.cancel': ({ calibrationId }) => {
      const c = this.#calibration(calibrationId);
      const active = c.outcome === undefined && !c.controller.signal.aborted;
      c.controller.abort();
      return { cancelled: active };
    },

    'calibration.save': ({ calibrationId, profile, replace }) => {
      const c = this.#calibration(calibrationId);
      if (!c.outcome) throw new ServiceError('conflict', `calibration ${calibrationId} is still running; wait for it first`);
      if (!c.outcome.report) throw new ServiceError('conflict', `calibration ${calibrationId} ended ${c.outcome.status} without a fit to save`);
      const saved = this.#saveFitted(c.outcome.report, profile ?? c.outcome.report.profile, c.description, replace);
      c.outcome = { ...c.outcome, status: 'done', error: null, profile: saved };
      return saved;
    },

    'profiles.list': () => this.journal.listCostProfiles() as Result<'profiles.list'>,

    'profiles.get': ({ name }) => {
      const profile = this.journal.getCostProfile(name);
      if (!profile) throw new ServiceError('not_found', `cost profile ${JSON.stringify(name)} not found in the journal`);
      return profile as Result<'profiles.get'>;
    },

    'profiles.save': ({ name, description, costs, replace }) => {
      return this.journal.saveCostProfile({ name, costs: costs as Record<string, number>, fit: null, modelVersion: MODEL_VERSION, ...(description === undefined ? {} : { description }) }, { replace }) as Result<'profiles.get'>;
    },

    'profiles.delete': ({ name }) => ({ deleted: this.journal.deleteCostProfile(name) }),

    'journal.backup': ({ path }) => {
      this.journal.backup(path);
      return { path };
    },

    'journal.merge': ({ path }) => ({ ...this.journal.mergeFrom(path) }),

    'benchmarks.list': () => this.journal.listBenchmarks(),

    'benchmarks.create': (p) => this.journal.ensureBenchmark(p),

    'benchmarks.addRun': ({ benchmark, runId }) => {
      const bench = this.journal.getBenchmark(benchmark);
      if (!bench) throw new ServiceError('not_found', `benchmark ${JSON.stringify(benchmark)} not found in the journal`);
      const run = this.journal.getRun(this.resolveRunId(runId), { series: false });
      if (run.status !== 'done') throw new ServiceError('conflict', `run ${run.id} is ${run.status}; only done runs have values`);
      const value = run.metrics[bench.metric];
      if (value === undefined) throw ServiceError.invalid([{ path: 'runId', message: `run ${run.id} has no metric ${bench.metric}` }]);
      const s = run.scenario as unknown as Scenario;
      const effective = (run.result as { policy?: { effective?: string } } | null)?.policy?.effective ?? s.policy;
      return this.journal.addBenchmarkPoint(bench.name, {
        value,
        source: 'simulated',
        runId: run.id,
        measuredAt: run.finishedAt ?? run.createdAt,
        context: { kernel: s.guest.kernel, backend: s.viommu.backend, policy: effective, workload: s.workload.kind, modelVersion: run.modelVersion },
      }) as Result<'benchmarks.addRun'>;
    },

    'benchmarks.mark': ({ benchmark, at, label }) => this.journal.addMarker(benchmark, { at, label }),

    'benchmarks.history': ({ name }) => {
      const benchmark = this.journal.getBenchmark(name);
      if (!benchmark) throw new ServiceError('not_found', `benchmark ${JSON.stringify(name)} not found in the journal`);
      return {
        benchmark,
        points: this.journal.listBenchmarkPoints(name) as Result<'benchmarks.history'>['points'],
        markers: this.journal.listMarkers(name),
      };
    },
  };
}
