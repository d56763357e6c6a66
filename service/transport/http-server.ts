// `iommu-lab serve`: the built renderer over HTTP and the contract over a
// WebSocket, on 127.0.0.1 only. Any local process (or web page) can reach a
// loopback port, so the API needs the random token, and Host/Origin checks
// shut out DNS rebinding and cross-site pages.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import type { WebSocket } from 'ws';
import { DOWNLOAD_PATH_PREFIX, MAX_IMPORT_TEXT_CHARS } from '../protocol/constants.ts';
import { attachChannel, type DispatchTarget } from './dispatch.ts';
import { confineFiles } from './file-access.ts';
import { contentTypeFor, isHtml, leavesRoot, rendererCsp, resolveStaticPath } from './static-files.ts';

export interface ServerOptions {
  lab: DispatchTarget;
  /** 0 picks a free port. */
  port?: number;
  /** The built renderer (renderer/dist). */
  staticDir: string;
  /** Defaults to 32 random bytes, base64url. */
  token?: string;
  /**
   * The folder API clients may back up to and merge from (`serve --files DIR`);
   * default none: those methods refuse paths (file-access.ts).
   */
  filesDir?: string | null;
}

export interface RunningServer {
  /** http://127.0.0.1:PORT/ (without the token). */
  url: string;
  port: number;
  token: string;
  /**
   * A URL that opens the page once, within a minute, without the token in it
   * (it redirects to the page with the token): for starting a browser, whose
   * command line other local users can read in `ps`.
   */
  oneTimeOpenUrl(): string;
  close(): Promise<void>;
}

export const API_PATH = '/api';
export { DOWNLOAD_PATH_PREFIX };
export const HEALTH_PATH = '/api/health';
const OPEN_PATH_PREFIX = '/open/';
const OPEN_LINK_TTL_MS = 60_000;
const HOST = '127.0.0.1';
/**
 * The most bytes one character of a string takes in a JSON message: a control
 * character (say the NULs of a UTF-16 file read as UTF-8) or a lone surrogate
 * is written as a six-byte escape (\u0000); any other takes at most 3 bytes of UTF-8.
 */
export const MAX_JSON_BYTES_PER_CHAR = 6;
/**
 * Room for the largest message the contract takes (an import's text at its
 * limit in the worst encoding), so a call the API would answer is never cut
 * off by the socket (1009): a text over the limit gets the API's `invalid`
 * answer. Still stops a peer from making the server buffer gigabytes.
 */
export const MAX_MESSAGE_BYTES = MAX_JSON_BYTES_PER_CHAR * MAX_IMPORT_TEXT_CHARS + 2 ** 20;
/** Messages from this size on (imports of tool output) are parsed off serve's thread, which keeps answering meanwhile. */
export const OFF_THREAD_PARSE_BYTES = 2 ** 20;

/** Resolves when `res` can take more, rejects when it closed first. */
function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolveDrain, rejectDrain) => {
    const done = (err?: Error) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      if (err) rejectDrain(err);
      else resolveDrain();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the reader went away'));
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** The renderer's CSP: its own scripts only, and WebSocket back to this server only. */
export function contentSecurityPolicy(port: number): string {
  return rendererCsp([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
}

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export const MIN_TOKEN_CHARS = 16;

/**
 * The token kept in `path` (`serve --token-file`), so a bookmarked address
 * survives a restart. A missing file is created with a fresh token, readable
 * by its owner only; an existing one must be a private regular file holding
 * a token of at least MIN_TOKEN_CHARS characters. Errors name the file and
 * the fix.
 */
export function tokenFromFile(path: string): { token: string; created: boolean } {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${path}: cannot read the token file (${(err as Error).message})`);
    const token = generateToken();
    try {
      // 'wx': never overwrite a file that appeared meanwhile; 0600: the token is a password.
      writeFileSync(path, `${token}\n`, { flag: 'wx', mode: 0o600 });
    } catch (writeErr) {
      throw new Error(`${path}: cannot create the token file (${(writeErr as Error).message})`);
    }
    return { token, created: true };
  }
  if (!st.isFile()) throw new Error(`${path}: the token file must be a regular file (not a link or folder)`);
  // Windows has no POSIX modes to check.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new Error(`${path}: the token file is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${path}`);
  }
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token)) {
    throw new Error(`${path}: the token file must hold one token of at least ${MIN_TOKEN_CHARS} characters without spaces; delete it to get a fresh one`);
  }
  return { token, created: false };
}

/** Constant time in the token's content; hashing first makes lengths equal too. */
function tokenMatches(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>IOMMU Lab</title></head>
<body><h1>IOMMU Lab</h1>
<p>The user interface is not built. Run <code>npm run build</code> in the project folder, then reload this page.</p>
<p>The API is running: the command line and scripts can use it meanwhile.</p>
</body></html>
`;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? generateToken();
  if (token.length < MIN_TOKEN_CHARS) throw new Error(`token must be at least ${MIN_TOKEN_CHARS} characters`);
  const root = resolve(opts.staticDir);
  const lab = confineFiles(opts.lab, { root: opts.filesDir ?? null, howToAllow: 'start `iommu-lab serve` with --files DIR to allow backups and merges inside DIR' });
  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);

  /** null when the request may proceed; else the status and reason to refuse it with. */
  const refusal = (req: IncomingMessage, { checkOrigin }: { checkOrigin: boolean }): [number, string] | null => {
    // A rebinding attack reaches us under the attacker's host name: only our own names pass.
    if (!allowedHosts().includes(req.headers.host ?? '')) return [421, 'Host must be 127.0.0.1 or localhost with this port'];
    const origin = req.headers.origin;
    if (checkOrigin && origin !== undefined && !allowedOrigins().includes(origin)) return [403, 'cross-origin requests are refused'];
    return null;
  };

  const sendText = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', ...headers });
    res.end(`${text}\n`);
  };

  const sendHtmlHeaders = (res: ServerResponse, extra: Record<string, string>): void => {
    res.writeHead(200, {
      'Content-Type': contentTypeFor('index.html'),
      'Content-Security-Policy': contentSecurityPolicy(port),
      'X-Content-Type-Options': 'nosniff',
      // The page URL carries the token: never leak it in a Referer.
      'Referrer-Policy': 'no-referrer',
      ...extra,
    });
  };

  const serveStatic = (req: IncomingMessage, res: ServerResponse, encodedPath: string): void => {
    const resolved = resolveStaticPath(root, encodedPath);
    if (!resolved.ok) return sendText(res, resolved.reason === 'outside' ? 403 : 400, resolved.reason === 'outside' ? 'path outside the served folder' : 'malformed path');
    const target = resolved.path;
    // A link inside the served folder must not hand out a file outside it.
    if (leavesRoot(root, target)) return sendText(res, 403, 'path outside the served folder');
    const isIndex = target === resolve(root, 'index.html');
    let size: number;
    try {
      const st = statSync(target);
      if (!st.isFile()) return sendText(res, 404, 'not found');
      size = st.size;
    } catch {
      if (isIndex) {
        sendHtmlHeaders(res, { 'Cache-Control': 'no-store' });
        return void res.end(NOT_BUILT_PAGE);
      }
      return sendText(res, 404, 'not found');
    }
    if (isHtml(target)) {
      // The entry page is never cached: a rebuilt UI must not load stale asset names.
      sendHtmlHeaders(res, { 'Content-Length': String(size), ...(isIndex ? { 'Cache-Control': 'no-store' } : {}) });
    } else {
      res.writeHead(200, {
        'Content-Type': contentTypeFor(target),
        'Content-Length': String(size),
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      });
    }
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  /**
   * A download (runs.export of any size) as one chunked response the browser
   * saves: read piece by piece and written as the socket drains, so memory
   * holds a piece or two; a reader that goes away cancels the download.
   */
  const sendDownload = async (res: ServerResponse, id: string): Promise<void> => {
    let gone = false;
    res.on('close', () => {
      gone = !res.writableFinished;
    });
    let piece: { fileName: string; text: string; done: boolean };
    try {
      piece = (await lab.call('downloads.read', { id })) as typeof piece;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return sendText(res, code === 'not_found' ? 404 : code === 'conflict' ? 409 : code === 'invalid' ? 400 : 500, (err as Error).message);
    }
    const fileName = piece.fileName.replace(/[^\w.-]/g, '_');
    res.writeHead(200, {
      'Content-Type': fileName.endsWith('.json') ? 'application/json; charset=utf-8' : fileName.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'text/plain; charset=utf-8',
      'Content-Disposition': `attachment; filename="${fileName}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    try {
      for (;;) {
        if (gone) throw new Error('the reader went away');
        if (piece.text !== '' && !res.write(piece.text)) await waitForDrain(res);
        if (piece.done) return void res.end();
        piece = (await lab.call('downloads.read', { id })) as typeof piece;
      }
    } catch {
      // Headers are out: a cut-off response is all the reader can be told.
      void lab.call('downloads.cancel', { id }).catch(() => undefined);
      res.destroy();
    }
  };

  /** One-time open links: nonce -> expiry (epoch ms); a nonce is deleted when used. */
  const openLinks = new Map<string, number>();
  const followOpenLink = (res: ServerResponse, nonce: string): void => {
    const expires = openLinks.get(nonce);
    openLinks.delete(nonce);
    if (expires === undefined || Date.now() > expires) return sendText(res, 410, 'this link was used or has expired; open the URL that serve printed');
    res.writeHead(302, { Location: `/?token=${encodeURIComponent(token)}`, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
    res.end();
  };

  const server = createServer((req, res) => {
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const refused = refusal(req, { checkOrigin: !isRead });
    if (refused) return sendText(res, refused[0], refused[1]);
    if (!isRead) return sendText(res, 405, 'only GET is served; the API is a WebSocket on /api', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    // The raw path, not url.pathname: the URL parser folds "..", which would hide a traversal attempt.
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    if (url.pathname === HEALTH_PATH) {
      if (!tokenMatches(url.searchParams.get('token'), token)) return sendText(res, 401, 'missing or wrong token');
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      return void res.end(JSON.stringify({ ok: true }));
    }
    if (url.pathname.startsWith(OPEN_PATH_PREFIX)) return followOpenLink(res, url.pathname.slice(OPEN_PATH_PREFIX.length));
    if (url.pathname.startsWith(DOWNLOAD_PATH_PREFIX)) {
      if (!tokenMatches(url.searchParams.get('token'), token)) return sendText(res, 401, 'missing or wrong token');
      if (req.method !== 'GET') return sendText(res, 405, 'a download is read once, with GET', { Allow: 'GET' });
      // An id is a UUID: nothing in it needs decoding, and a malformed escape must not throw out of here.
      return void sendDownload(res, url.pathname.slice(DOWNLOAD_PATH_PREFIX.length));
    }
    if (url.pathname === API_PATH) return sendText(res, 426, 'the API is a WebSocket on /api?token=...', { Upgrade: 'websocket' });
    if (url.pathname.startsWith(`${API_PATH}/`)) return sendText(res, 404, 'not found');
    serveStatic(req, res, rawPath);
  });

  // Loaded here, not with the service: ws loads its native frame unmasking (bufferutil), which only `serve` needs (30 ms of every command's start).
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const refuseUpgrade = (socket: Duplex, status: number, reason: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refused = refusal(req, { checkOrigin: true });
    if (refused) return refuseUpgrade(socket, refused[0], refused[0] === 421 ? 'Misdirected Request' : 'Forbidden');
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (url.pathname !== API_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!tokenMatches(url.searchParams.get('token'), token)) return refuseUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    attachChannel(lab, {
      send: (message) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      },
      onMessage: (handler) =>
        ws.on('message', (data: Buffer, isBinary) => {
          if (isBinary) return handler(null);
          if (data.length < OFF_THREAD_PARSE_BYTES || lab.parseJson === undefined) return handler(data.toString());
          // Not JSON (or no worker): the dispatcher parses it here and names the fault.
          lab.parseJson(data).then(handler, () => handler(data.toString()));
        }),
      onClose: (handler) => ws.on('close', handler),
    });
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(opts.port ?? 0, HOST, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolveClose) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.close(() => resolveClose());
      // Keep-alive HTTP connections would hold close() open otherwise.
      server.closeAllConnections();
    });
    return closing;
  };

  const oneTimeOpenUrl = (): string => {
    const nonce = generateToken();
    openLinks.set(nonce, Date.now() + OPEN_LINK_TTL_MS);
    return `http://${HOST}:${port}${OPEN_PATH_PREFIX}${nonce}`;
  };

  return { url: `http://${HOST}:${port}/`, port, token, oneTimeOpenUrl, close };
}
