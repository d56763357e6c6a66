// The one client of the protocol: typed calls and event subscriptions over a
// transport (a WebSocket to `serve`, a MessagePort in the desktop app, or the
// service in the same process). Calls made while the transport is down wait
// for it; calls in flight when it drops fail as `unavailable`. When the
// transport says the connection cannot come back (the service refuses this
// client), every waiting call and every later one fails at once. With
// `validateResults`, every result is checked against its method's schema.
import type { ErrorCode, FieldError, ServiceErrorData } from './errors.ts';
import { toErrorData } from './errors.ts';
import { isEventName, type EventData, type EventName } from './events.ts';
import { methods, type MethodName, type Params, type Result } from './methods.ts';
import type { EventMessage, LabApi, RequestMessage, ResponseMessage } from './wire.ts';

/** `closed` may come back (the transport retries); `failed` will not. */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'failed';

export interface TransportHandlers {
  open(): void;
  message(msg: unknown): void;
  close(reason: string): void;
  /** The connection cannot come back (say, the service refuses this client's token): nothing more will be sent. */
  fail(reason: string): void;
}

/** Carries wire messages both ways and reports when it is up or down. */
export interface Transport {
  start(handlers: TransportHandlers): void;
  send(msg: RequestMessage): void;
  stop(): void;
}

/** A failed call: the service's error code, message and (for `invalid`) the fields at fault. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly fields: FieldError[];
  constructor(data: ServiceErrorData) {
    super(data.message);
    this.code = data.code;
    this.fields = data.fields ?? [];
  }
}

export interface LabClientOptions {
  /** Check every result against its method's schema; a mismatch fails the call as `internal`. */
  validateResults?: boolean;
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
  readonly #transport: Transport;
  readonly #validateResults: boolean;

  constructor(transport: Transport, opts: LabClientOptions = {}) {
    this.#transport = transport;
    this.#validateResults = opts.validateResults === true;
    transport.start({
      open: () => this.#onOpen(),
      message: (msg) => this.#onMessage(msg),
      close: (reason) => this.#onClose(reason),
      fail: (reason) => this.#onFail(reason),
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the transport is down (empty while it is up). */
  get lastError(): string {
    return this.#lastError;
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    return new Promise<Result<M>>((resolve, reject) => {
      const message: RequestMessage = { type: 'request', id: this.#nextId++, method, params };
      const pending: Pending = { message, sent: false, resolve: resolve as (r: unknown) => void, reject };
      if (this.#state === 'failed') return pending.reject(this.#notSent(method));
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
    this.#transport.stop();
    if (this.#state !== 'failed') this.#onClose('client closed');
  }

  #send(p: Pending): void {
    p.sent = true;
    try {
      this.#transport.send(p.message);
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
    if (this.#state === 'failed') return;
    this.#setState('open', '');
    for (const p of [...this.#pending.values()]) if (!p.sent) this.#send(p);
  }

  #onClose(reason: string): void {
    if (this.#state === 'failed') return;
    // Answers to requests already sent are lost with the connection; queued ones wait for the next.
    for (const [id, p] of [...this.#pending]) {
      if (!p.sent) continue;
      this.#pending.delete(id);
      p.reject(new ApiError({ code: 'unavailable', message: `lost the connection to the service during ${p.message.method}; try again once it is back` }));
    }
    this.#setState('closed', reason);
  }

  #notSent(method: string): ApiError {
    return new ApiError({ code: 'unavailable', message: `${method} was not sent: ${this.#lastError}` });
  }

  #onFail(reason: string): void {
    if (this.#state === 'failed') return;
    this.#setState('failed', reason);
    // Nothing waits for a connection that cannot come back: queued calls fail now, with the reason.
    for (const [id, p] of [...this.#pending]) {
      this.#pending.delete(id);
      p.reject(p.sent ? new ApiError({ code: 'unavailable', message: `lost the connection to the service during ${p.message.method}: ${reason}` }) : this.#notSent(p.message.method));
    }
  }

  #resolve(p: Pending, result: unknown): void {
    if (!this.#validateResults || !Object.hasOwn(methods, p.message.method)) return p.resolve(result);
    const check = methods[p.message.method as MethodName].result.safeParse(result);
    if (check.success) p.resolve(check.data);
    else p.reject(new ApiError({ code: 'internal', message: `result of ${p.message.method} breaks the contract: ${check.error.message}` }));
  }

  #onMessage(raw: unknown): void {
    if (raw === null || typeof raw !== 'object') return;
    const msg = raw as Partial<ResponseMessage> & Partial<EventMessage>;
    if (msg.type === 'response' && typeof msg.id === 'number') {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if ('error' in msg && msg.error !== undefined) p.reject(new ApiError(toErrorData(msg.error)));
      else this.#resolve(p, (msg as { result?: unknown }).result);
    } else if (msg.type === 'event' && isEventName(msg.event)) {
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
