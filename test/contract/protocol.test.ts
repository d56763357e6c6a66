// The protocol end to end: every method's result schema is complete (no
// unknown or pass-through left), every method called through the one client
// returns what its schema says, the service opens nothing a method does not
// need, and the same client works over in-process and WebSocket transports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import WebSocket from 'ws';
import { z } from 'zod';
import {
  ApiError,
  events,
  LabClient,
  METHOD_NAMES,
  methods,
  openInProcess,
  startServer,
  webSocketTransport,
  type Lab,
  type MethodName,
  type Params,
  type Result,
  type Transport,
  attachChannel,
  inProcessTransport,
  messagePortTransport,
  type MessagePortLike,
} from '../../service/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SHORT = ['durationMs=60', 'warmupMs=5'];

/** Where a schema lets values through unchecked: z.unknown/z.any, or an object that passes unknown keys. */
function looseSpots(schema: z.ZodType, path = '$', seen = new Set<unknown>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const walk = (s: unknown, p: string) => looseSpots(s as z.ZodType, p, seen);
  switch (def.type) {
    case 'unknown':
    case 'any':
      return [`${path}: ${def.type}`];
    case 'object': {
      const shape = def.shape as Record<string, unknown>;
      const catchall = def.catchall as z.ZodType | undefined;
      const passes = catchall !== undefined && (catchall as unknown as { _zod: { def: { type: string } } })._zod.def.type !== 'never';
      return [...(passes ? [`${path}: passes unknown keys`] : []), ...Object.entries(shape).flatMap(([k, v]) => walk(v, `${path}.${k}`))];
    }
    case 'array':
      return walk(def.element, `${path}[]`);
    case 'record':
      return [...walk(def.keyType, `${path}{key}`), ...walk(def.valueType, `${path}{}`)];
    case 'union':
      return (def.options as unknown[]).flatMap((o, i) => walk(o, `${path}|${i}`));
    case 'intersection':
      return [...walk(def.left, path), ...walk(def.right, path)];
    case 'tuple':
      return (def.items as unknown[]).flatMap((o, i) => walk(o, `${path}[${i}]`));
    case 'lazy':
      return walk((def.getter as () => unknown)(), path);
    case 'pipe':
      return [...walk(def.in, path), ...walk(def.out, path)];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return walk(def.innerType, path);
    default:
      return [];
  }
}

describe('result schemas', () => {
  test('the completeness check catches what it is meant to catch', () => {
    assert.deepEqual(looseSpots(z.object({ a: z.number() })), []);
    assert.deepEqual(looseSpots(z.object({ a: z.unknown() })), ['$.a: unknown']);
    assert.deepEqual(looseSpots(z.looseObject({ a: z.number() })), ['$: passes unknown keys']);
    assert.deepEqual(looseSpots(z.array(z.record(z.string(), z.any()))), ['$[]{}: any']);
    assert.deepEqual(looseSpots(z.object({ a: z.array(z.unknown()).nullable() })), ['$.a[]: unknown']);
  });

  test('a client that validates refuses a result that breaks its schema', async () => {
    let handlers: Parameters<Transport['start']>[0] | undefined;
    const transport: Transport = {
      start: (h) => {
        handlers = h;
        h.open();
      },
      send: (msg) => queueMicrotask(() => handlers?.message({ type: 'response', id: msg.id, result: { path: '/j', schemaVersion: 'four' } })),
      stop: () => {},
    };
    const strict = new LabClient(transport, { validateResults: true });
    await assert.rejects(strict.call('journal.info', {}), (e: unknown) => e instanceof ApiError && e.code === 'internal' && /journal\.info breaks the contract/.test(e.message));
  });

  test('every method result and every event is typed through and through', () => {
    for (const name of METHOD_NAMES) assert.deepEqual(looseSpots(methods[name].result), [], name);
    for (const [name, schema] of Object.entries(events)) assert.deepEqual(looseSpots(schema), [], name);
  });
});

describe('every method through the one client, results checked against their schemas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-protocol-'));
  let lab: Lab;
  let client: LabClient;
  const called = new Set<MethodName>();
  const call = async <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
    called.add(method);
    return client.call(method, params);
  };

  /** Every result as the service sent it, before the client parsed it. */
  const sent: { method: MethodName; result: unknown }[] = [];

  before(() => {
    lab = openInProcess({ journalPath: join(dir, 'journal.sqlite'), workers: 2, validateResults: true }).lab;
    const inner = inProcessTransport(lab);
    const methodOf = new Map<number, MethodName>();
    const recording: Transport = {
      start: (h) =>
        inner.start({
          ...h,
          message: (m) => {
            const msg = m as { type?: string; id?: number; result?: unknown };
            if (msg.type === 'response' && 'result' in msg) sent.push({ method: methodOf.get(msg.id as number) as MethodName, result: msg.result });
            h.message(m);
          },
        }),
      send: (msg) => {
        methodOf.set(msg.id, msg.method as MethodName);
        inner.send(msg);
      },
      stop: () => inner.stop(),
    };
    client = new LabClient(recording, { validateResults: true });
  });
  after(async () => {
    client.close();
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('scenario, policy and presets', async () => {
    assert.ok((await call('presets.list', {})).length > 0);
    assert.ok((await call('scenario.schema', {})).backends.includes('nested-fl'));
    const preview = await call('scenario.preview', { source: { preset: 'seed-after-fix' } });
    assert.equal(preview.ok, true);
    const bad = await call('scenario.preview', { source: { preset: 'seed-after-fix', overrides: ['viommu.backend=bogus'] } });
    assert.ok(!bad.ok && bad.errors.some((e) => e.path === 'scenario.viommu.backend'), JSON.stringify(bad));
    const decision = await call('policy.resolve', { kernel: '6.3', caps: { cachingMode: true, scalableMode: true, firstLevel: true, secondLevel: false } });
    assert.equal(decision.domainType, 'dma-fq');
    const explained = await call('policy.explain', { kernel: '6.2' });
    assert.equal(explained.decision.strict, true);
    assert.match(explained.text, /strict/);
  });

  test('runs, sweeps and comparisons', async () => {
    const sim = await call('runs.simulate', { source: { preset: 'seed-after-fix', overrides: SHORT }, seeds: 2 });
    assert.equal(sim.results.length, 2);
    assert.ok((sim.results[0]?.metrics.throughputGbps ?? 0) > 0);
    const { runIds } = await call('runs.start', { source: { preset: 'seed-after-fix', overrides: SHORT }, seeds: 2, tags: ['lazy'] });
    const { runIds: strictIds } = await call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...SHORT, 'policy=strict'] }, seeds: 2 });
    const ended = await call('runs.wait', { ids: [...runIds, ...strictIds] });
    assert.deepEqual(ended.map((r) => r.status), ['done', 'done', 'done', 'done']);
    assert.equal((await call('runs.list', { metrics: ['throughputGbps'] })).total, 4);
    const run = await call('runs.get', { id: runIds[0] as string });
    assert.ok(run.result !== null);
    assert.deepEqual((await call('runs.tag', { id: runIds[0] as string, add: ['x'], remove: ['lazy'] })).tags, ['x']);
    assert.equal((await call('runs.note', { id: runIds[0] as string, body: 'checked' })).body, 'checked');
    assert.ok((await call('runs.compare', { ids: [runIds[0] as string, strictIds[0] as string] })).differences.some((d) => d.path === 'policy'));
    const sets = await call('runs.compareSets', { base: runIds, head: strictIds });
    assert.ok(sets.comparison.metrics.length > 0);
    assert.match((await call('runs.report', { base: runIds, head: strictIds, format: 'text' })).content, /units:/);
    assert.equal((await call('runs.export', { format: 'csv' })).runs, 4);
    const download = (await call('runs.export', { format: 'json', download: true })).download?.id ?? assert.fail('a download');
    assert.equal((await call('downloads.read', { id: download, minChars: 1 })).done, false);
    assert.equal((await call('downloads.cancel', { id: download })).cancelled, true);
    const fields = await call('runs.fields', { ids: [runIds[0] as string, strictIds[0] as string], paths: ['policy', 'effective.policy'] });
    assert.deepEqual(
      fields.rows.map((r) => r.fields['effective.policy']),
      ['lazy', 'strict'],
    );
    const dry = await call('sweeps.start', { spec: { base: { preset: 'seed-after-fix', overrides: SHORT }, grid: { policy: ['strict', 'lazy'] } }, dryRun: true });
    assert.equal(dry.total, 2);
    const sweep = await call('sweeps.start', { spec: { base: { preset: 'seed-after-fix', overrides: SHORT }, grid: { policy: ['strict'] } } });
    await call('runs.wait', { ids: sweep.runIds });
    const experiments = await call('experiments.list', {});
    const swept = experiments.find((e) => e.runs === 1);
    assert.ok(swept);
    assert.equal((await call('experiments.show', { name: swept.name })).points.length, 1);
    // Resuming re-attaches to a Redis queue (test/contract/distributed-sweep.test.ts); a service without one says what is missing.
    await assert.rejects(call('sweeps.resume', { experiment: swept.name }), (e: unknown) => e instanceof ApiError && e.code === 'invalid' && e.fields[0]?.path === 'redis');
    // Without a Redis URL there is nowhere else to run: no Redis, no workers (the distributed tests list real ones).
    assert.deepEqual(await call('sweeps.workers', {}), { redis: null, workers: [] });
    const { runIds: slow } = await call('runs.start', { source: { preset: 'seed-after-fix' } });
    assert.ok((await call('runs.cancel', { ids: slow })).cancelled <= 1);
    await call('runs.wait', { ids: slow });
    assert.equal((await call('runs.delete', { ids: [...slow, ...sweep.runIds] })).deleted, 2);
  });

  test('benchmarks and measurements', async () => {
    await call('benchmarks.create', { name: 'rx', metric: 'throughputGbps', higherIsBetter: true });
    assert.ok((await call('benchmarks.list', {})).some((b) => b.name === 'rx'));
    const [done] = (await call('runs.list', { filter: { status: ['done'] } })).rows;
    await call('benchmarks.addRun', { benchmark: 'rx', runId: done!.id });
    await call('benchmarks.create', { name: 'iperf', metric: 'receivedGbps', higherIsBetter: true });
    const text = readFileSync(join(root, 'test/fixtures/iperf3/tcp-send.json'), 'utf8');
    const imported = await call('measurements.import', { tool: 'iperf3', text, benchmark: 'iperf' });
    assert.ok(imported.value > 0);
    assert.equal(imported.point.hasRaw, true);
    assert.deepEqual((await call('benchmarks.pointRaw', { benchmark: 'iperf', point: imported.point.id.slice(0, 8) })).raw, JSON.parse(text));
    const marker = await call('benchmarks.mark', { benchmark: 'rx', at: new Date().toISOString(), label: 'now' });
    assert.equal((await call('benchmarks.history', { name: 'rx' })).markers.length, 1);
    assert.equal((await call('benchmarks.analyze', { name: 'rx' })).benchmark.name, 'rx');
    assert.equal((await call('benchmarks.setOrder', { name: 'rx', orderBy: 'run-order' })).orderBy, 'run-order');
    assert.deepEqual(await call('benchmarks.removeMarker', { benchmark: 'rx', marker: marker.id }), { removed: true });
    assert.deepEqual(await call('benchmarks.removePoints', { benchmark: 'iperf', points: [imported.point.id] }), { removed: 1 });
    assert.deepEqual(await call('benchmarks.delete', { name: 'iperf' }), { deleted: true });
  });

  test('profiles and calibration', async () => {
    await call('profiles.save', { name: 'hand', costs: { exitRoundTripNs: 6000 } });
    assert.equal((await call('profiles.get', { name: 'hand' })).costs.exitRoundTripNs, 6000);
    assert.ok((await call('profiles.list', {})).some((p) => p.name === 'hand'));
    const spec = {
      profile: 'fitted',
      parameters: { exitRoundTripNs: { min: 1000, max: 20000 } },
      points: [{ value: 30, scenario: { preset: 'seed-before-fix', overrides: SHORT } }],
      maxIterations: 1,
      save: false,
    };
    const started = await call('calibration.start', { spec });
    const outcome = await call('calibration.wait', { calibrationId: started.calibrationId as string });
    assert.equal(outcome.status, 'done');
    assert.equal((await call('calibration.save', { calibrationId: started.calibrationId as string })).name, 'fitted');
    const again = await call('calibration.start', { spec: { ...spec, profile: 'fitted2', maxIterations: 50 } });
    await call('calibration.cancel', { calibrationId: again.calibrationId as string });
    assert.notEqual((await call('calibration.wait', { calibrationId: again.calibrationId as string })).status, 'running');
    assert.equal((await call('profiles.delete', { name: 'hand' })).deleted, true);
  });

  test('the journal as a whole', async () => {
    assert.ok((await call('journal.info', {})).runs > 0);
    const copy = join(dir, 'copy.sqlite');
    await call('journal.backup', { path: copy });
    assert.equal((await call('journal.merge', { path: copy })).runsAdded, 0);
  });

  test('no method was left out', () => {
    assert.deepEqual(METHOD_NAMES.filter((m) => !called.has(m)), []);
  });

  test('no result carries a field its schema does not declare', () => {
    assert.ok(sent.length >= METHOD_NAMES.length);
    for (const { method, result } of sent) {
      const json = JSON.parse(JSON.stringify(result)) as unknown;
      // z.object drops undeclared keys when parsing: a result that changes under its own schema has some.
      assert.deepEqual(methods[method].result.parse(json), json, method);
    }
  });

  test('bad input comes back as one InputError naming its fields', async () => {
    await assert.rejects(client.call('runs.tag', { id: 'abcd', add: ['#perf'] }), (e: unknown) => e instanceof ApiError && e.code === 'invalid' && e.fields.some((f) => f.path === 'add.0'));
    await assert.rejects(client.call('policy.resolve', { kernel: '5.15.0-91-generic' }), (e: unknown) => e instanceof ApiError && e.code === 'invalid' && e.fields.length === 1 && e.fields[0]?.path === 'kernel');
    await assert.rejects(client.call('profiles.get', { name: 'has space' }), (e: unknown) => e instanceof ApiError && e.fields[0]?.path === 'name');
  });
});

test('policy and previews through the in-process client open no journal, load no SQLite and start no worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-lazy-'));
  const journal = join(dir, 'journal.sqlite');
  const script = `
    import { createRequire } from 'node:module';
    import { openInProcess } from ${JSON.stringify(join(root, 'service/index.ts'))};
    const { lab, client } = openInProcess({ journalPath: ${JSON.stringify(journal)}, validateResults: true });
    const decision = await client.call('policy.resolve', { kernel: '6.2' });
    const preview = await client.call('scenario.preview', { source: { preset: 'seed-after-fix' } });
    // A profile named where no journal exists yet: refused by name, and no journal is created to say so.
    const named = await client.call('scenario.preview', { source: { preset: 'seed-after-fix', overrides: ['costProfile=lab1'] } });
    const sqlite = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('better-sqlite3'));
    console.log(JSON.stringify({ strict: decision.strict, ok: preview.ok, named: named.ok ? 'ok' : named.errors[0].path, journalOpen: lab.journalOpen, workers: lab.workersStarted, sqlite }));
    client.close();
    await lab.close();
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  try {
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1) as string), { strict: true, ok: true, named: 'scenario.costProfile', journalOpen: false, workers: false, sqlite: false });
    assert.equal(existsSync(journal), false, 'no journal file was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same client over a WebSocket to serve: calls, errors and events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-ws-'));
  const { lab } = openInProcess({ journalPath: join(dir, 'journal.sqlite'), workers: 1 });
  const server = await startServer({ lab, port: 0, staticDir: join(dir, 'no-ui') });
  const client = new LabClient(webSocketTransport(`ws://127.0.0.1:${server.port}/api?token=${encodeURIComponent(server.token)}`, { WebSocketImpl: WebSocket, reconnect: false }), { validateResults: true });
  try {
    assert.equal((await client.call('journal.info', {})).runs, 0);
    await assert.rejects(client.call('runs.get', { id: 'ffffffff' }), (e: unknown) => e instanceof ApiError && e.code === 'not_found');
    const statuses: string[] = [];
    client.on('run.status', (e) => statuses.push(e.status));
    const { runIds } = await client.call('runs.start', { source: { preset: 'seed-after-fix', overrides: SHORT } });
    const [ended] = await client.call('runs.wait', { ids: runIds });
    assert.equal(ended?.status, 'done');
    // Events may trail the response by a message or two.
    for (let i = 0; i < 50 && !statuses.includes('done'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(statuses, ['queued', 'running', 'done']);
  } finally {
    client.close();
    await server.close();
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same client over a MessagePort, served by the wire dispatcher', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-port-'));
  const { lab } = openInProcess({ journalPath: join(dir, 'journal.sqlite'), workers: 1 });
  const { port1, port2 } = new MessageChannel();
  // The service's end, as the desktop app's service host attaches each peer's port.
  const attached = attachChannel(lab, {
    send: (message) => port2.postMessage(message),
    onMessage: (handler) => port2.on('message', handler),
    onClose: (handler) => port2.on('close', handler),
  });
  // Node's MessagePort has the DOM's onmessage at run time; its type declarations do not say so.
  const client = new LabClient(messagePortTransport(port1 as unknown as MessagePortLike), { validateResults: true });
  try {
    assert.equal((await client.call('policy.resolve', { kernel: '6.3' })).generation, 3);
    await assert.rejects(client.call('runs.tag', { id: 'abcd', add: ['has space'] }), (e: unknown) => e instanceof ApiError && e.code === 'invalid' && e.fields[0]?.path === 'add.0');
    assert.equal(lab.journalOpen, false, 'neither call needed the journal');
  } finally {
    attached.detach();
    client.close();
    port2.close();
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
