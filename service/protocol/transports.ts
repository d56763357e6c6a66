// Transports of the one client: a WebSocket (serve), a MessagePort (the
// desktop app's page), and the service in the same process (CLI, tests).
import { ServiceError } from './errors.ts';
import { EVENT_NAMES, type EventData, type EventName } from './events.ts';
import type { Transport, TransportHandlers } from './client.ts';
import type { EventMessage, RequestMessage, ResponseMessage } from './wire.ts';

/** Reconnect delays: quick at first, then every few seconds. */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
}

// Handlers are typed `(ev: never) => unknown` so the browser's and the `ws` package's
// sockets and ports both fit; the handlers assigned below say what they read.

/** The WebSocket surface used here: the browser's, or a compatible one (the `ws` package under Node). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: never) => unknown) | null;
  onmessage: ((ev: never) => unknown) | null;
  onclose: ((ev: never) => unknown) | null;
  send(data: string): void;
  close(): void;
}
export interface WebSocketConstructor {
  new (url: string): WebSocketLike;
  readonly OPEN: number;
}

/** A WebSocket to `serve` that reconnects with backoff; messages are JSON text. */
export function webSocketTransport(url: string, opts: { WebSocketImpl?: WebSocketConstructor; reconnect?: boolean } = {}): Transport {
  const Impl = opts.WebSocketImpl ?? (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket;
  const reconnect = opts.reconnect ?? true;
  let socket: WebSocketLike | null = null;
  let attempt = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = (h: TransportHandlers): void => {
    const ws = new Impl(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      h.open();
    };
    ws.onmessage = (ev: { data: unknown }) => {
      const text = typeof ev.data === 'string' ? ev.data : ev.data instanceof Uint8Array ? new TextDecoder().decode(ev.data) : undefined;
      if (text === undefined) return;
      try {
        h.message(JSON.parse(text));
      } catch {
        console.warn('ignored a message that is not JSON');
      }
    };
    ws.onclose = (ev: { code: number; reason: string }) => {
      if (socket !== ws) return;
      socket = null;
      h.close(ev.reason || (ev.code === 1006 ? 'the service is not reachable' : `connection closed (code ${ev.code})`));
      if (stopped || !reconnect) return;
      timer = setTimeout(() => connect(h), backoffMs(attempt++));
    };
  };

  return {
    start: (h) => connect(h),
    send: (msg) => {
      if (!socket || socket.readyState !== Impl.OPEN) throw new Error('not connected');
      socket.send(JSON.stringify(msg));
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
      socket = null;
    },
  };
}

/** The surface of a DOM MessagePort used here: structured-clone objects, up for the window's life. */
export interface MessagePortLike {
  onmessage: ((ev: never) => unknown) | null;
  onmessageerror: ((ev: never) => unknown) | null;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

export function messagePortTransport(port: MessagePortLike): Transport {
  return {
    start: (h) => {
      port.onmessage = (ev: { data: unknown }) => h.message(ev.data);
      port.onmessageerror = () => console.warn('ignored a message that could not be deserialized');
      port.start();
      h.open();
    },
    send: (msg) => port.postMessage(msg),
    stop: () => port.close(),
  };
}

/** What the in-process transport calls: the service itself. */
export interface InProcessTarget {
  call(method: string, params: unknown): Promise<unknown>;
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
}

/**
 * The service in the same process: requests become direct calls, answers and
 * events come back as wire messages, asynchronously, as they would over a port.
 */
export function inProcessTransport(target: InProcessTarget): Transport {
  let handlers: TransportHandlers | null = null;
  let unsubscribe: (() => void)[] = [];
  const deliver = (message: ResponseMessage | EventMessage): void => {
    queueMicrotask(() => handlers?.message(message));
  };
  return {
    start: (h) => {
      handlers = h;
      unsubscribe = EVENT_NAMES.map((event) => target.on(event, (data) => deliver({ type: 'event', event, data })));
      h.open();
    },
    send: (msg: RequestMessage) => {
      if (!handlers) throw new Error('not connected');
      void Promise.resolve()
        .then(() => target.call(msg.method, msg.params))
        .then(
          (result) => deliver({ type: 'response', id: msg.id, result }),
          (err: unknown) => {
            const data = err instanceof ServiceError ? err.toData() : { code: 'internal' as const, message: err instanceof Error ? err.message : String(err) };
            deliver({ type: 'response', id: msg.id, error: data });
          },
        );
    },
    stop: () => {
      for (const off of unsubscribe) off();
      unsubscribe = [];
      handlers = null;
    },
  };
}
