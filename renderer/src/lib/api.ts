// The UI's connection to the service: the protocol's one client over the
// host's transport: the MessagePort the desktop shell hands over, or a
// WebSocket to `iommu-lab serve`. What is the page's own here is finding
// that transport (the shell's port message, the token in the address).
import {
  LabClient,
  messagePortTransport,
  webSocketTransport,
  type Transport,
  type TransportHandlers,
} from '../../../service/protocol/index.ts';

export {
  ApiError,
  LabClient,
  backoffMs,
  toErrorData,
  type ConnectionState,
  type Transport,
  type TransportHandlers,
} from '../../../service/protocol/index.ts';

/** The transport boundary under the names the views' tests use. */
export type Channel = Transport;
export type ChannelHandlers = TransportHandlers;

/** A WebSocket to `serve` that reconnects with backoff; messages are JSON text. */
export function webSocketChannel(url: string, opts: { WebSocketImpl?: typeof WebSocket } = {}): Transport {
  return webSocketTransport(url, opts.WebSocketImpl ? { WebSocketImpl: opts.WebSocketImpl } : {});
}

/** The desktop shell's MessagePort: structured-clone objects, up for the window's life. */
export function messagePortChannel(port: MessagePort): Transport {
  return messagePortTransport(port);
}

/** Why a page's connection to `serve` cannot come back: the server refuses its token. */
export const TOKEN_REFUSED = 'the service refuses this page\'s token: it was restarted with a new token, or the address is wrong';

/**
 * A WebSocket to `serve` that knows when to give up. A browser cannot read
 * why an upgrade was refused (a wrong token looks like a server that is
 * down), so after each drop it asks the health endpoint with the same token:
 * 401 means the token is refused and retrying is pointless (the client then
 * fails every waiting call); anything else leaves the socket retrying.
 */
export function serveChannel(
  wsUrl: string,
  healthUrl: string,
  opts: { WebSocketImpl?: typeof WebSocket; fetchImpl?: typeof fetch } = {},
): Transport {
  const inner = webSocketChannel(wsUrl, opts);
  const fetchImpl = opts.fetchImpl ?? ((input, init) => fetch(input, init));
  let stopped = false;
  return {
    start: (h) =>
      inner.start({
        open: () => h.open(),
        message: (msg) => h.message(msg),
        fail: (reason) => h.fail(reason),
        close: (reason) => {
          h.close(reason);
          fetchImpl(healthUrl, { cache: 'no-store' }).then(
            (res) => {
              if (res.status !== 401 || stopped) return;
              stopped = true;
              inner.stop();
              h.fail(TOKEN_REFUSED);
            },
            () => {}, // not reachable: the socket keeps retrying
          );
        },
      }),
    send: (msg) => inner.send(msg),
    stop: () => {
      stopped = true;
      inner.stop();
    },
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

/** The client over the transport of the host the page runs in: the desktop shell's port, else a WebSocket to `serve`. */
export function connect(): LabClient {
  if ('iommuLab' in window) return new LabClient(shellPortChannel(window));
  const token = takeToken();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = `token=${encodeURIComponent(token ?? '')}`;
  return new LabClient(serveChannel(`${scheme}://${location.host}/api?${query}`, `${location.origin}/api/health?${query}`));
}

/**
 * The desktop shell posts the service's MessagePort to the window after the
 * page loads (contextBridge cannot carry ports). A later port replaces the
 * current one (the shell restarted the service): the client sees a drop and
 * a reconnect.
 */
export function shellPortChannel(win: Pick<Window, 'addEventListener' | 'removeEventListener'> & object): Transport {
  let current: Transport | null = null;
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
