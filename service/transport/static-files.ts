// Serving the built renderer, shared by `serve` (HTTP) and the desktop
// shell (app:// protocol): which file a URL path names, and its type.
import { realpathSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export function isHtml(path: string): boolean {
  return extname(path).toLowerCase() === '.html';
}

/**
 * The file under `root` that a URL path (still percent-encoded) names: `/` is
 * index.html. `malformed` for undecodable paths, NUL bytes or backslashes;
 * `outside` when it would leave `root` (`..`, encoded or not).
 */
export function resolveStaticPath(root: string, encodedPath: string): { ok: true; path: string } | { ok: false; reason: 'malformed' | 'outside' } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // Backslashes are separators on Windows: refuse them everywhere rather than reason per platform.
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return { ok: false, reason: 'malformed' };
  const base = resolve(root);
  const path = decoded === '/' ? resolve(base, 'index.html') : resolve(base, `.${decoded}`);
  if (path !== base && !path.startsWith(base + sep)) return { ok: false, reason: 'outside' };
  return { ok: true, path };
}

/**
 * Whether the file at `path` (inside `root` by name) is, through symbolic
 * links, outside it: such a file is never served. A missing file leads nowhere.
 */
export function leavesRoot(root: string, path: string): boolean {
  let real: string;
  let base: string;
  try {
    real = realpathSync(path);
    base = realpathSync(root);
  } catch {
    return false;
  }
  return real !== base && !real.startsWith(base + sep);
}

/** CSP of the renderer's pages; `connect` lists what the page may connect to besides itself. */
export function rendererCsp(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    ["connect-src 'self'", ...connect].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
