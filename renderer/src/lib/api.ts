// The UI's client of the service contract. It speaks the wire messages of
// service/contract.ts over a channel: a WebSocket to `iommu-lab serve`, or the
// MessagePort the desktop shell hands over. Calls made while the channel is
// down wait for it; calls in flight when it drops fail as `unavailable`.
import type {
  ErrorCode,
  EventMessage,
  EventName,
  EventData,
  LabApi,
  MethodName,
  Params,
  RequestMessage,
  ResponseMessage,
  Result,
  ServiceErrorData,
} from '../../../service/contract.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface ChannelHandlers {
  open(): void;
  message(msg: unknown): void;
  close(reason: string): void;
}

/** The transport boundary: carries wire messages both ways and reports when it is up or down. */
export interface Channel {
  start(handlers: ChannelHandlers): void;
  send(msg: RequestMessage): void;
  stop(): void;
}

/** A failed call: the service's error code, message and (for `invalid`) the fields at fault. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly fields: { path: string; message: string }[];
  constructor(data: ServiceErrorData) {
    super(data.message);
    this.code = data.code;
    this.fields = data.fields ?? [];
  }
}

const ERROR_CODES: readonly string[] = ['invalid', 'not_found', 'conflict', 'unavailable', 'internal'] satisfies ErrorCode[];

/** The service's error as sent, or an `internal` one when the peer sent something malformed. */
export function toErrorData(raw: unknown): ServiceErrorData {
  if (raw !== null && typeof raw === 'object') {
    const e = raw as Record<string, unknown>;
    const code = typeof e.code === 'string' && ERROR_CODES.includes(e.code) ? (e.code as ErrorCode) : 'internal';
    const message = typeof e.message === 'string' ? e.message : 'the service returned an error without a message';
    const fields = Array.isArray(e.fields)
      ? e.fields.filter((f): f is { path: string; message: string } => f !== null && typeof f === 'object' && typeof f.path === 'string' && typeof f.message === 'string')
      : undefined;
    return fields ? { code, message, fields } : { code, message };
  }
  return { code: 'internal', message: `the service returned a malformed error: ${JSON.stringify(raw)}` };
}

interface Pending {
  message: RequestMessage;
  sent: boolean;
  resolve(result: unknown): void;
  reject(err: ApiError): void;
}

export class LabClient implements LabApi {
  #nextId = 1;
  #state: ConnectionState = 'connecting';
  #lastError = '';
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<string, Set<(data: unknown) => void>>();
  readonly #stateListeners = new Set<(state: ConnectionState, reason: string) => void>();
  readonly #channel: Channel;

  constructor(channel: Channel) {
    this.#channel = channel;
    channel.start({
      open: () => this.#onOpen(),
      message: (msg) => this.#onMessage(msg),
      close: (reason) => this.#onClose(reason),
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the channel is down (empty while it is up). */
  get lastError(): string {
    return this.#lastError;
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    return new Promise<Result<M>>((resolve, reject) => {
      const message: RequestMessage = { type: 'request', id: this.#nextId++, method, params };
      const pending: Pending = { message, sent: false, resolve: resolve as (r: unknown) => void, reject };
      this.#pending.set(message.id, pending);
      if (this.#state === 'open') this.#send(pending);
    });
  }

  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    const l = listener as (data: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  /** Follows the connection; the listener hears the current state at once. */
  onState(listener: (state: ConnectionState, reason: string) => void): () => void {
    this.#stateListeners.add(listener);
    listener(this.#state, this.#lastError);
    return () => this.#stateListeners.delete(listener);
  }

  close(): void {
    this.#channel.stop();
    this.#onClose('client closed');
  }

  #send(p: Pending): void {
    p.sent = true;
    try {
      this.#channel.send(p.message);
    } catch (err) {
      this.#pending.delete(p.message.id);
      p.reject(new ApiError({ code: 'unavailable', message: `could not send ${p.message.method}: ${(err as Error).message}` }));
    }
  }

  #setState(state: ConnectionState, reason: string): void {
    this.#state = state;
    this.#lastError = reason;
    for (const l of this.#stateListeners) l(state, reason);
  }

  #onOpen(): void {
    this.#setState('open', '');
    for (const p of [...this.#pending.values()]) if (!p.sent) this.#send(p);
  }

  #onClose(reason: string): void {
    // Answers to requests already sent are lost with the connection; queued ones wait for the next.
    for (const [id, p] of [...this.#pending]) {
      if (!p.sent) continue;
      this.#pending.delete(id);
      p.reject(new ApiError({ code: 'unavailable', message: `lost the connection to the service during ${p.message.method}; try again once it is back` }));
    }
    this.#setState('closed', reason);
  }

  #onMessage(raw: unknown): void {
    if (raw === null || typeof raw !== 'object') return;
    const msg = raw as Partial<ResponseMessage> & Partial<EventMessage>;
    if (msg.type === 'response' && typeof msg.id === 'number') {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if ('error' in msg && msg.error !== undefined) p.reject(new ApiError(toErrorData(msg.error)));
      else p.resolve((msg as { result?: unknown }).result);
    } else if (msg.type === 'event' && typeof msg.event === 'string') {
      for (const l of this.#listeners.get(msg.event) ?? []) {
        try {
          l(msg.data);
        } catch (err) {
          console.error(`listener of ${msg.event} failed`, err);
        }
      }
    }
  }
}

/** Reconnect delays: quick at first, then every few seconds. */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
}

/** A WebSocket to `serve` that reconnects with backoff; messages are JSON text. */
export function webSocketChannel(url: string, opts: { WebSocketImpl?: typeof WebSocket } = {}): Channel {
  const Impl = opts.WebSocketImpl ?? WebSocket;
  let socket: WebSocket | null = null;
  let attempt = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = (h: ChannelHandlers): void => {
    const ws = new Impl(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      h.open();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      try {
        h.message(JSON.parse(ev.data));
      } catch {
        console.warn('ignored a message that is not JSON');
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      h.close(ev.reason || (ev.code === 1006 ? 'the service is not reachable' : `connection closed (code ${ev.code})`));
      if (stopped) return;
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

/** The desktop shell's MessagePort: structured-clone objects, up for the window's life. */
export function messagePortChannel(port: MessagePort): Channel {
  return {
    start: (h) => {
      port.onmessage = (ev: MessageEvent) => h.message(ev.data);
      port.onmessageerror = () => console.warn('ignored a message that could not be deserialized');
      port.start();
      h.open();
    },
    send: (msg) => port.postMessage(msg),
    stop: () => port.close(),
  };
}

export const PORT_MESSAGE = 'iommu-lab:service-port';
const TOKEN_KEY = 'iommu-lab.token';

/**
 * The token `serve` printed in the address: taken from `?token=` on first
 * load, kept for the tab's life in sessionStorage, and removed from the
 * address bar so it does not end up in history or screenshots.
 */
export function takeToken(loc: Location = location, storage: Storage = sessionStorage, hist: History = history): string | null {
  const params = new URLSearchParams(loc.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const search = params.toString();
    hist.replaceState(hist.state, '', `${loc.pathname}${search ? `?${search}` : ''}${loc.hash}`);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY);
}

/** The channel of the host the page runs in: the desktop shell's port, else a WebSocket to `serve`. */
export function connect(): LabClient {
  if ('iommuLab' in window) return new LabClient(shellPortChannel(window));
  const token = takeToken();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return new LabClient(webSocketChannel(`${scheme}://${location.host}/api?token=${encodeURIComponent(token ?? '')}`));
}

/**
 * The desktop shell posts the service's MessagePort to the window after the
 * page loads (contextBridge cannot carry ports). A later port replaces the
 * current one (the shell restarted the service): the client sees a drop and
 * a reconnect.
 */
export function shellPortChannel(win: Pick<Window, 'addEventListener' | 'removeEventListener'> & object): Channel {
  let current: Channel | null = null;
  let onPort: ((ev: MessageEvent) => void) | null = null;
  return {
    start: (h) => {
      onPort = (ev: MessageEvent) => {
        if (ev.source !== win || ev.data !== PORT_MESSAGE || !ev.ports[0]) return;
        if (current) {
          current.stop();
          h.close('the service restarted');
        }
        current = messagePortChannel(ev.ports[0]);
        current.start(h);
      };
      win.addEventListener('message', onPort as EventListener);
    },
    send: (msg) => {
      if (!current) throw new Error('not connected');
      current.send(msg);
    },
    stop: () => {
      if (onPort) win.removeEventListener('message', onPort as EventListener);
      current?.stop();
      current = null;
    },
  };
}
