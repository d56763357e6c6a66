// Which process holds a queued or running run. Opening a journal turns such
// runs into `interrupted` only when their holder is gone, so the CLI opening
// the journal beside a running desktop app does not break the app's runs.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

const openInstances = new Set<string>();

interface Owner {
  host: string;
  pid: number;
  instance: string;
}

/** A new owner token for one open Journal in this process. */
export function claimOwner(): string {
  const instance = randomUUID();
  openInstances.add(instance);
  const owner: Owner = { host: hostname(), pid: process.pid, instance };
  return JSON.stringify(owner);
}

export function releaseOwner(token: string): void {
  const owner = parse(token);
  if (owner) openInstances.delete(owner.instance);
}

/**
 * False when the holder is certainly gone: a closed Journal of this process, a
 * process that no longer exists, or another host (WAL journals are never
 * shared across hosts, so the file was copied). A reused pid errs on "alive".
 */
export function isOwnerAlive(token: string | null): boolean {
  const owner = token === null ? undefined : parse(token);
  if (!owner || owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return openInstances.has(owner.instance);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function parse(token: string): Owner | undefined {
  try {
    const value = JSON.parse(token) as Partial<Owner>;
    return typeof value.host === 'string' && typeof value.pid === 'number' && typeof value.instance === 'string'
      ? (value as Owner)
      : undefined;
  } catch {
    return undefined;
  }
}
