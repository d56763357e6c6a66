// Wire messages (WebSocket, MessagePort, in process): one object per message.
import type { ServiceErrorData } from './errors.ts';
import type { EventName, EventData } from './events.ts';
import type { MethodName, Params, Result } from './methods.ts';

export interface RequestMessage {
  type: 'request';
  id: number;
  method: string;
  params: unknown;
}
export type ResponseMessage = { type: 'response'; id: number; result: unknown } | { type: 'response'; id: number; error: ServiceErrorData };
export interface EventMessage {
  type: 'event';
  event: EventName;
  data: unknown;
}

/** What any host's client exposes (and the service itself): typed calls and event subscriptions. */
export interface LabApi {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
}
