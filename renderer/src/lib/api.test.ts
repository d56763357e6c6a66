import { describe, expect, it, vi } from 'vitest';
import type { RequestMessage } from '../../../service/protocol/index.ts';
import { ApiError, LabClient, PORT_MESSAGE, TOKEN_REFUSED, backoffMs, serveChannel, shellPortChannel, takeToken, toErrorData, type Channel, type ChannelHandlers } from './api.ts';

/** A channel the test drives by hand: it records what the client sends and plays the service's side. */
class FakeChannel implements Channel {
  sent: RequestMessage[] = [];
  handlers: ChannelHandlers | null = null;
  start(h: ChannelHandlers): void {
    this.handlers = h;
  }
  send(msg: RequestMessage): void {
    this.sent.push(msg);
  }
  stop(): void {}
  open(): void {
    this.handlers?.open();
  }
  reply(msg: unknown): void {
    this.handlers?.message(msg);
  }
  drop(reason = 'gone'): void {
    this.handlers?.close(reason);
  }
  refuse(reason = 'token refused'): void {
    this.handlers?.fail(reason);
  }
}

function connected(): { channel: FakeChannel; client: LabClient } {
  const channel = new FakeChannel();
  const client = new LabClient(channel);
  channel.open();
  return { channel, client };
}

describe('LabClient', () => {
  it('matches responses to requests by id, whatever order they come back in', async () => {
    const { channel, client } = connected();
    const info = client.call('journal.info', {});
    const list = client.call('benchmarks.list', {});
    expect(channel.sent.map((m) => m.method)).toEqual(['journal.info', 'benchmarks.list']);
    const [first, second] = channel.sent as [RequestMessage, RequestMessage];
    expect(first.id).not.toBe(second.id);
    channel.reply({ type: 'response', id: second.id, result: [] });
    channel.reply({ type: 'response', id: first.id, result: { path: '/j.db', schemaVersion: 3, modelVersion: 'm', runs: 2, workers: 1 } });
    await expect(list).resolves.toEqual([]);
    await expect(info).resolves.toMatchObject({ path: '/j.db', runs: 2 });
  });

  it('sends the params as given, in a request message', () => {
    const { channel, client } = connected();
    void client.call('runs.get', { id: 'abc', series: false });
    expect(channel.sent[0]).toEqual({ type: 'request', id: expect.any(Number), method: 'runs.get', params: { id: 'abc', series: false } });
  });

  it('rejects with an ApiError carrying the code, message and fields', async () => {
    const { channel, client } = connected();
    const p = client.call('runs.tag', { id: 'r1', add: ['has space'] });
    const id = (channel.sent[0] as RequestMessage).id;
    channel.reply({
      type: 'response',
      id,
      error: { code: 'invalid', message: 'add.0: must not contain spaces or commas', fields: [{ path: 'add.0', message: 'must not contain spaces or commas' }] },
    });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'invalid', message: 'add.0: must not contain spaces or commas', fields: [{ path: 'add.0', message: 'must not contain spaces or commas' }] });
  });

  it('maps a malformed error to internal and an unknown code to internal', () => {
    expect(toErrorData('boom')).toMatchObject({ code: 'internal' });
    expect(toErrorData({ code: 'weird', message: 'x' })).toEqual({ code: 'internal', message: 'x' });
    expect(toErrorData({ code: 'not_found', message: 'run x not found', fields: [{ path: 1 }, { path: 'id', message: 'm' }] })).toEqual({
      code: 'not_found',
      message: 'run x not found',
      fields: [{ path: 'id', message: 'm' }],
    });
  });

  it('ignores responses to unknown ids and messages that are not objects', async () => {
    const { channel, client } = connected();
    const p = client.call('journal.info', {});
    channel.reply({ type: 'response', id: 999_999, result: 'stray' });
    channel.reply('garbage');
    channel.reply(null);
    channel.reply({ type: 'response', id: (channel.sent[0] as RequestMessage).id, result: 'mine' });
    await expect(p).resolves.toBe('mine');
  });

  it('dispatches events to the listeners of that event until they unsubscribe', () => {
    const { channel, client } = connected();
    const onStatus = vi.fn();
    const onProgress = vi.fn();
    const off = client.on('run.status', onStatus);
    client.on('run.progress', onProgress);
    channel.reply({ type: 'event', event: 'run.status', data: { runId: 'r1', status: 'running', error: null } });
    off();
    channel.reply({ type: 'event', event: 'run.status', data: { runId: 'r1', status: 'done', error: null } });
    expect(onStatus).toHaveBeenCalledTimes(1);
    expect(onStatus).toHaveBeenCalledWith({ runId: 'r1', status: 'running', error: null });
    expect(onProgress).not.toHaveBeenCalled();
  });

  it('queues calls made before the channel opens and sends them when it does', async () => {
    const channel = new FakeChannel();
    const client = new LabClient(channel);
    const p = client.call('journal.info', {});
    expect(channel.sent).toHaveLength(0);
    channel.open();
    expect(channel.sent).toHaveLength(1);
    channel.reply({ type: 'response', id: (channel.sent[0] as RequestMessage).id, result: 'ok' });
    await expect(p).resolves.toBe('ok');
  });

  it('fails calls in flight as unavailable when the channel drops, and resends nothing twice', async () => {
    const { channel, client } = connected();
    const states: string[] = [];
    client.onState((s) => states.push(s));
    const p = client.call('runs.wait', { ids: ['r1'] });
    channel.drop('socket closed');
    await expect(p).rejects.toMatchObject({ code: 'unavailable' });
    expect(client.state).toBe('closed');
    expect(client.lastError).toBe('socket closed');
    const later = client.call('journal.info', {});
    expect(channel.sent).toHaveLength(1);
    channel.open();
    expect(channel.sent.map((m) => m.method)).toEqual(['runs.wait', 'journal.info']);
    channel.reply({ type: 'response', id: (channel.sent[1] as RequestMessage).id, result: 'back' });
    await expect(later).resolves.toBe('back');
    expect(states).toEqual(['open', 'closed', 'open']);
  });

  it('rejects a call the channel cannot send', async () => {
    const channel = new FakeChannel();
    channel.send = () => {
      throw new Error('not connected');
    };
    const client = new LabClient(channel);
    channel.open();
    await expect(client.call('journal.info', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('connection helpers', () => {
  it('backs off exponentially up to a cap', () => {
    const delays = Array.from({ length: 10 }, (_, i) => backoffMs(i));
    expect(delays[0]).toBeLessThan(delays[3] as number);
    expect(Math.max(...delays)).toBe(5000);
    delays.slice(1).forEach((d, i) => expect(d).toBeGreaterThanOrEqual(delays[i] as number));
  });

  it('takes the token from the address, stores it and removes it from the address bar', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage;
    const replaced: string[] = [];
    const hist = { state: null, replaceState: (_s: unknown, _t: string, url: string) => void replaced.push(url) } as unknown as History;
    const loc = { search: '?token=s3cret&x=1', pathname: '/', hash: '#/runs' } as Location;
    expect(takeToken(loc, storage, hist)).toBe('s3cret');
    expect(replaced).toEqual(['/?x=1#/runs']);
    // A reload without the token in the address still finds it.
    expect(takeToken({ search: '', pathname: '/', hash: '' } as Location, storage, hist)).toBe('s3cret');
  });
});

describe('desktop shell port', () => {
  /** A MessagePort stand-in: records what the client posts; `deliver` plays the service. */
  function fakePort() {
    const port = {
      posted: [] as unknown[],
      closed: false,
      onmessage: null as ((ev: { data: unknown }) => void) | null,
      onmessageerror: null as unknown,
      start() {},
      postMessage(m: unknown) {
        port.posted.push(m);
      },
      close() {
        port.closed = true;
      },
      deliver(data: unknown) {
        port.onmessage?.({ data });
      },
    };
    return port;
  }

  function fakeWindow() {
    let listener: ((ev: unknown) => void) | null = null;
    interface FakeWindow {
      addEventListener(type: string, l: (ev: unknown) => void): void;
      removeEventListener(): void;
      post(data: unknown, port: unknown, source?: unknown): void;
    }
    const win: FakeWindow = {
      addEventListener: (_type, l) => void (listener = l),
      removeEventListener: () => void (listener = null),
      post: (data, port, source = win) => listener?.({ data, source, ports: [port] }),
    };
    return win;
  }

  it('waits for the port, then carries plain-object messages both ways', async () => {
    const win = fakeWindow();
    const client = new LabClient(shellPortChannel(win as unknown as Window));
    const p = client.call('journal.info', {});
    const port = fakePort();
    win.post('something else', port);
    win.post(PORT_MESSAGE, port, {});
    expect(port.posted).toHaveLength(0);
    win.post(PORT_MESSAGE, port);
    expect(port.posted).toEqual([{ type: 'request', id: expect.any(Number), method: 'journal.info', params: {} }]);
    port.deliver({ type: 'response', id: (port.posted[0] as RequestMessage).id, result: 'info' });
    await expect(p).resolves.toBe('info');
  });

  it('treats a new port as a reconnect: calls in flight fail, later ones use the new port', async () => {
    const win = fakeWindow();
    const client = new LabClient(shellPortChannel(win as unknown as Window));
    const first = fakePort();
    win.post(PORT_MESSAGE, first);
    const inFlight = client.call('runs.wait', { ids: ['r1'] });
    const second = fakePort();
    win.post(PORT_MESSAGE, second);
    await expect(inFlight).rejects.toMatchObject({ code: 'unavailable' });
    expect(first.closed).toBe(true);
    expect(client.state).toBe('open');
    void client.call('journal.info', {});
    expect(second.posted).toHaveLength(1);
  });
});

describe('a connection that cannot come back', () => {
  it('fails queued and in-flight calls at once with the reason, and every later call without sending it', async () => {
    const { channel, client } = connected();
    const inFlight = client.call('runs.wait', { ids: ['r1'] });
    channel.drop('the service is not reachable');
    const queued = client.call('journal.info', {});
    const states: string[] = [];
    client.onState((s, reason) => states.push(`${s}: ${reason}`));
    channel.refuse('the service refuses this token');
    await expect(inFlight).rejects.toMatchObject({ code: 'unavailable' });
    await expect(queued).rejects.toMatchObject({ code: 'unavailable', message: 'journal.info was not sent: the service refuses this token' });
    await expect(client.call('benchmarks.list', {})).rejects.toMatchObject({ message: /benchmarks\.list was not sent/ });
    expect(channel.sent.map((m) => m.method)).toEqual(['runs.wait']);
    expect(states).toEqual(['closed: the service is not reachable', 'failed: the service refuses this token']);
    // A late open or drop does not revive it or hide the reason.
    channel.open();
    channel.drop('later');
    expect(client.state).toBe('failed');
    expect(client.lastError).toBe('the service refuses this token');
  });
});

/** A WebSocket stand-in: each instance is one attempt; the test opens or closes it. */
class FakeSocket {
  static OPEN = 1;
  static made: FakeSocket[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  sent: string[] = [];
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    this.readyState = 3;
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
}

describe('serve channel', () => {
  const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

  function setup(healthStatus: () => number | 'unreachable') {
    FakeSocket.made = [];
    const probes: string[] = [];
    const fetchImpl = (async (url: string) => {
      probes.push(url);
      const status = healthStatus();
      if (status === 'unreachable') throw new TypeError('Failed to fetch');
      return { status } as Response;
    }) as unknown as typeof fetch;
    const client = new LabClient(serveChannel('ws://h/api?token=t', 'http://h/api/health?token=t', { WebSocketImpl: FakeSocket as unknown as typeof WebSocket, fetchImpl }));
    return { client, probes };
  }

  it('gives up when the health check refuses the token: no more attempts, and waiting calls fail with how it was refused', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { client, probes } = setup(() => 401);
      (FakeSocket.made[0] as FakeSocket).drop();
      const waiting = client.call('journal.info', {}).catch((e: unknown) => e);
      await vi.waitFor(() => expect(client.state).toBe('failed'));
      expect(probes).toEqual(['http://h/api/health?token=t']);
      expect(client.lastError).toBe(TOKEN_REFUSED);
      expect(await waiting).toMatchObject({ code: 'unavailable', message: `journal.info was not sent: ${TOKEN_REFUSED}` });
      vi.advanceTimersByTime(60_000);
      expect(FakeSocket.made).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps retrying while the service is unreachable or accepts the token, and sends queued calls once back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let health: number | 'unreachable' = 'unreachable';
      const { client, probes } = setup(() => health);
      (FakeSocket.made[0] as FakeSocket).drop();
      const waiting = client.call('journal.info', {});
      await vi.waitFor(() => expect(probes).toHaveLength(1));
      vi.advanceTimersByTime(backoffMs(0));
      expect(FakeSocket.made).toHaveLength(2);
      health = 200;
      (FakeSocket.made[1] as FakeSocket).drop();
      await vi.waitFor(() => expect(probes).toHaveLength(2));
      vi.advanceTimersByTime(backoffMs(1));
      const third = FakeSocket.made[2] as FakeSocket;
      third.readyState = 1;
      third.onopen?.();
      expect(client.state).toBe('open');
      expect(third.sent.map((t) => JSON.parse(t).method)).toEqual(['journal.info']);
      third.onmessage?.({ data: JSON.stringify({ type: 'response', id: JSON.parse(third.sent[0] as string).id, result: 'ok' }) });
      await expect(waiting).resolves.toBe('ok');
    } finally {
      vi.useRealTimers();
    }
    await flush();
  });
});
