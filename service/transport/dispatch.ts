// Carries the contract over any message channel (a WebSocket for `serve`, a
// MessagePort in the desktop app): requests in, responses and events out.
// A malformed message gets an `invalid` response naming the field at fault;
// nothing a peer sends can throw out of here and take the host down.
import { EVENT_NAMES, type EventName, type EventData } from '../protocol/events.ts';
import type { EventMessage, RequestMessage, ResponseMessage } from '../protocol/wire.ts';
import { ServiceError, toServiceError } from '../errors.ts';

/** What the dispatcher needs of the service (a `Lab`, or a stand-in in tests). */
export interface DispatchTarget {
  call(method: string, params: unknown): Promise<unknown>;
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
  /** Parses a large message's JSON off the host's thread, if the target can. */
  parseJson?(bytes: Uint8Array): Promise<unknown>;
}

export type OutgoingMessage = ResponseMessage | EventMessage;

/** One peer. `send` may throw once the peer is gone; the dispatcher ignores that. */
export interface WireChannel {
  send(message: OutgoingMessage): void;
  /** Messages arrive as parsed objects (MessagePort) or JSON text (WebSocket); both are accepted. */
  onMessage(handler: (message: unknown) => void): void;
  onClose(handler: () => void): void;
}

export interface AttachedChannel {
  /** Stops forwarding events and drops responses still pending; idempotent. */
  detach(): void;
}

/** Answers `invalid` to this id when a message is too broken to carry one of its own. */
export const UNKNOWN_REQUEST_ID = 0;

type Parsed = { ok: true; request: RequestMessage } | { ok: false; id: number; error: ServiceError };

function invalid(id: number, path: string, message: string): Parsed {
  return { ok: false, id, error: ServiceError.invalid([{ path, message }]) };
}

/** Checks the envelope only; the service validates params against the method's schema. */
export function parseRequest(raw: unknown): Parsed {
  let message = raw;
  if (typeof raw === 'string') {
    try {
      message = JSON.parse(raw);
    } catch (err) {
      return invalid(UNKNOWN_REQUEST_ID, '(message)', `must be JSON: ${(err as Error).message}`);
    }
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return invalid(UNKNOWN_REQUEST_ID, '(message)', 'must be an object {type: "request", id, method, params}');
  }
  const m = message as Record<string, unknown>;
  if (!Number.isSafeInteger(m.id)) return invalid(UNKNOWN_REQUEST_ID, 'id', 'must be an integer that identifies the request');
  const id = m.id as number;
  if (m.type !== 'request') return invalid(id, 'type', `must be "request", got ${JSON.stringify(m.type) ?? 'nothing'}`);
  if (typeof m.method !== 'string' || m.method === '') return invalid(id, 'method', 'must be a method name such as "runs.list"');
  return { ok: true, request: { type: 'request', id, method: m.method, params: m.params } };
}

/** Serves `target` to one peer until the channel closes (or `detach` is called). */
export function attachChannel(target: DispatchTarget, channel: WireChannel): AttachedChannel {
  let attached = true;
  const send = (message: OutgoingMessage): void => {
    if (!attached) return;
    try {
      channel.send(message);
    } catch {
      // The peer went away between our check and the write; its close handler detaches us.
    }
  };

  const unsubscribers = EVENT_NAMES.map((event) =>
    target.on(event, (data) => send({ type: 'event', event, data })),
  );

  const detach = (): void => {
    if (!attached) return;
    attached = false;
    for (const off of unsubscribers) off();
  };

  channel.onMessage((raw) => {
    const parsed = parseRequest(raw);
    if (!parsed.ok) {
      send({ type: 'response', id: parsed.id, error: parsed.error.toData() });
      return;
    }
    const { id, method, params } = parsed.request;
    // Calls run concurrently; responses carry the request id, so order does not matter.
    // Started from a resolved promise so even a synchronous throw becomes an error response.
    void Promise.resolve().then(() => target.call(method, params)).then(
      (result) => send({ type: 'response', id, result }),
      (err: unknown) => send({ type: 'response', id, error: toServiceError(err).toData() }),
    );
  });
  channel.onClose(detach);
  return { detach };
}
