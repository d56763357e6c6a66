// The wire dispatcher against a stand-in service: envelope checks, error
// mapping, event forwarding and unsubscribing on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachChannel, parseRequest, type DispatchTarget, type OutgoingMessage } from '../../service/transport/dispatch.ts';
import { ServiceError } from '../../service/errors.ts';
import type { EventName } from '../../service/protocol/index.ts';

function fakeService(call: DispatchTarget['call']) {
  const listeners = new Map<EventName, Set<(data: unknown) => void>>();
  const target: DispatchTarget = {
    call,
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (data: unknown) => void);
      return () => set.delete(listener as (data: unknown) => void);
    },
  };
  const emit = (event: EventName, data: unknown) => listeners.get(event)?.forEach((l) => l(data));
  const listenerCount = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);
  return { target, emit, listenerCount };
}

function fakeChannel() {
  const sent: OutgoingMessage[] = [];
  let onMessage: (m: unknown) => void = () => {};
  let onClose: () => void = () => {};
  let waiters: (() => void)[] = [];
  return {
    sent,
    channel: {
      send: (m: OutgoingMessage) => {
        sent.push(m);
        waiters.forEach((w) => w());
        waiters = [];
      },
      onMessage: (h: (m: unknown) => void) => (onMessage = h),
      onClose: (h: () => void) => (onClose = h),
    },
    deliver: (m: unknown) => onMessage(m),
    close: () => onClose(),
    /** Resolves once `count` messages have been sent. */
    until: async (count: number) => {
      while (sent.length < count) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

test('parseRequest names the broken field and keeps a valid id', () => {
  const cases: [unknown, number, string][] = [
    ['{oops', 0, '(message)'],
    [[1, 2], 0, '(message)'],
    [{ type: 'request', id: 1.5, method: 'x' }, 0, 'id'],
    [{ type: 'request', method: 'x' }, 0, 'id'],
    [{ type: 'call', id: 3, method: 'x' }, 3, 'type'],
    [{ type: 'request', id: 4, method: '' }, 4, 'method'],
  ];
  for (const [raw, id, path] of cases) {
    const p = parseRequest(raw);
    assert.equal(p.ok, false, JSON.stringify(raw));
    if (p.ok) continue;
    assert.equal(p.id, id, JSON.stringify(raw));
    assert.equal(p.error.code, 'invalid');
    assert.equal(p.error.fields?.[0]?.path, path, JSON.stringify(raw));
  }
  const ok = parseRequest(JSON.stringify({ type: 'request', id: 9, method: 'runs.list', params: { page: { limit: 1 } } }));
  assert.deepEqual(ok, { ok: true, request: { type: 'request', id: 9, method: 'runs.list', params: { page: { limit: 1 } } } });
});

test('results and errors go back under the request id; unexpected errors become internal', async () => {
  const svc = fakeService(async (method, params) => {
    if (method === 'echo') return params;
    if (method === 'missing') throw new ServiceError('not_found', 'run abc not found');
    if (method === 'sync-throw') throw new TypeError('boom');
    throw new Error(`unexpected ${method}`);
  });
  const ch = fakeChannel();
  attachChannel(svc.target, ch.channel);
  ch.deliver({ type: 'request', id: 1, method: 'echo', params: { a: 1 } });
  ch.deliver({ type: 'request', id: 2, method: 'missing', params: {} });
  ch.deliver(JSON.stringify({ type: 'request', id: 3, method: 'sync-throw' }));
  await ch.until(3);
  const byId = new Map(ch.sent.map((m) => [m.type === 'response' ? m.id : -1, m]));
  assert.deepEqual(byId.get(1), { type: 'response', id: 1, result: { a: 1 } });
  assert.deepEqual(byId.get(2), { type: 'response', id: 2, error: { code: 'not_found', message: 'run abc not found' } });
  assert.deepEqual(byId.get(3), { type: 'response', id: 3, error: { code: 'internal', message: 'boom' } });
});

test('a call that throws synchronously still gets a response', async () => {
  const svc = fakeService(() => {
    throw new ServiceError('unavailable', 'journal closed');
  });
  const ch = fakeChannel();
  attachChannel(svc.target, ch.channel);
  ch.deliver({ type: 'request', id: 5, method: 'journal.info', params: {} });
  await ch.until(1);
  assert.deepEqual(ch.sent[0], { type: 'response', id: 5, error: { code: 'unavailable', message: 'journal closed' } });
});

test('events are forwarded until the channel closes, then every listener is removed', async () => {
  let release!: () => void;
  const svc = fakeService(() => new Promise((resolve) => (release = () => resolve('late'))));
  const ch = fakeChannel();
  const before = svc.listenerCount();
  attachChannel(svc.target, ch.channel);
  assert.ok(svc.listenerCount() > before, 'subscribed to the service events');
  svc.emit('run.status', { runId: 'r1', status: 'running', error: null });
  assert.deepEqual(ch.sent, [{ type: 'event', event: 'run.status', data: { runId: 'r1', status: 'running', error: null } }]);

  ch.deliver({ type: 'request', id: 8, method: 'runs.wait', params: { ids: ['r1'] } });
  await new Promise((r) => setImmediate(r));
  ch.close();
  assert.equal(svc.listenerCount(), before, 'unsubscribed on close');
  svc.emit('run.status', { runId: 'r1', status: 'done', error: null });
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(ch.sent.length, 1, 'nothing is sent to a closed peer');
});

test('a send that throws (peer gone) does not escape', async () => {
  const svc = fakeService(async () => 'ok');
  let delivered = 0;
  let deliver: (m: unknown) => void = () => {};
  attachChannel(svc.target, {
    send: () => {
      delivered++;
      throw new Error('socket closed');
    },
    onMessage: (h) => (deliver = h),
    onClose: () => {},
  });
  assert.doesNotThrow(() => svc.emit('run.progress', { runId: 'r', fraction: 0.5 }));
  deliver({ type: 'request', id: 1, method: 'x' });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(delivered, 2);
});
