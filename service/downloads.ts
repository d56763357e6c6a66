// Text too large to hand back in one answer (an export of every run), kept as
// a stream the client reads piece by piece: `downloads.read` over any
// transport, or serve's download link. Memory holds what the producer holds
// (one page of runs), never the whole text. A download is read once, by one
// reader at a time; one left unread for DOWNLOAD_IDLE_MS is dropped.
import { randomUUID } from 'node:crypto';
import { ServiceError } from './errors.ts';

/** A download nobody reads for this long is dropped (its producer closed). */
export const DOWNLOAD_IDLE_MS = 2 * 60_000;
/** Downloads open at once; each holds a journal cursor until read or dropped. */
export const MAX_OPEN_DOWNLOADS = 16;

export interface DownloadSource {
  fileName: string;
  /** Text already produced (the start of an export that turned out too large to return whole). */
  head?: string[];
  chunks: AsyncGenerator<string, void, undefined>;
}

interface Open extends DownloadSource {
  head: string[];
  reading: boolean;
  expires: NodeJS.Timeout;
}

export interface DownloadPiece {
  fileName: string;
  text: string;
  /** Nothing follows; the download is gone. */
  done: boolean;
}

export class Downloads {
  readonly #open = new Map<string, Open>();

  /** Keeps `source` for reading; returns its id. */
  add(source: DownloadSource): { id: string; expiresAt: string } {
    if (this.#open.size >= MAX_OPEN_DOWNLOADS) {
      void source.chunks.return(undefined);
      throw new ServiceError('conflict', `${MAX_OPEN_DOWNLOADS} downloads are open and unread; read or cancel one first (an unread download is dropped after ${DOWNLOAD_IDLE_MS / 60_000} min)`);
    }
    const id = randomUUID();
    this.#open.set(id, { ...source, head: source.head ?? [], reading: false, expires: this.#timer(id) });
    return { id, expiresAt: new Date(Date.now() + DOWNLOAD_IDLE_MS).toISOString() };
  }

  #timer(id: string): NodeJS.Timeout {
    const t = setTimeout(() => void this.cancel(id), DOWNLOAD_IDLE_MS);
    t.unref(); // an unread download must not keep a process alive
    return t;
  }

  #get(id: string): Open {
    const d = this.#open.get(id);
    if (d === undefined) throw new ServiceError('not_found', `download ${id} is unknown: it was read to the end, cancelled, or left unread for ${DOWNLOAD_IDLE_MS / 60_000} min`);
    return d;
  }

  /** The next piece: at least `minChars` characters (unless the text ends first), as the producer made them. */
  async read(id: string, minChars: number): Promise<DownloadPiece> {
    const d = this.#get(id);
    if (d.reading) throw new ServiceError('conflict', `download ${id} is being read by another call; read a download with one call at a time`);
    d.reading = true;
    clearTimeout(d.expires);
    const parts = d.head.splice(0);
    let size = parts.reduce((n, p) => n + p.length, 0);
    let done = false;
    try {
      while (size < minChars) {
        const next = await d.chunks.next();
        if (next.done) {
          done = true;
          break;
        }
        parts.push(next.value);
        size += next.value.length;
      }
    } catch (err) {
      this.#open.delete(id);
      throw err;
    } finally {
      d.reading = false;
    }
    const cancelled = !done && !this.#open.has(id);
    if (done) this.#open.delete(id);
    else if (cancelled) await d.chunks.return(undefined);
    else d.expires = this.#timer(id);
    return { fileName: d.fileName, text: parts.join(''), done };
  }

  /** Drops a download (a reader that gave up); false when it was not open. */
  async cancel(id: string): Promise<boolean> {
    const d = this.#open.get(id);
    if (d === undefined) return false;
    this.#open.delete(id);
    clearTimeout(d.expires);
    // A read in flight ends at its next page; the generator closes after it.
    if (!d.reading) await d.chunks.return(undefined);
    return true;
  }

  /** Drops every download (the service is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.#open.keys()].map((id) => this.cancel(id)));
  }
}
