// Redis URLs as users give them: redis://[user:password@]host[:port][/db], or
// rediss:// for TLS. The password never leaves this file in clear: messages
// and the journal see the masked form.
import type { RedisOptions } from 'bullmq';

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/** The URL with its password (if any) replaced by `***`, for messages and logs. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a URL: hide anything between "//" and "@" (where a password would be).
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** ioredis options for a redis:// or rediss:// URL; a bad URL is an error naming the masked URL and what is allowed. */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisUrlError(`${maskRedisUrl(url)} is not a URL; expected redis://[:password@]host[:port][/db] or rediss://...`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new RedisUrlError(`${maskRedisUrl(url)}: scheme must be redis:// or rediss:// (TLS), got ${u.protocol}//`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RedisUrlError(`${maskRedisUrl(url)}: the database after the host must be an integer >= 0`);
  const port = u.port ? Number(u.port) : 6379;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
    // BullMQ's blocking commands need these (its documented worker settings).
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}
