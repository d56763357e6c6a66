// Reading a download (runs.export of a large journal) piece by piece, from
// any host with a client: Electron main and the CLI write each piece to a
// file or stdout as it arrives, so neither holds the whole text.
import type { LabApi } from './wire.ts';

/**
 * Calls `write` with every piece of the download in order (awaited: a slow
 * sink holds the next read back). If `write` throws, the download is
 * cancelled and the error rethrown. Returns the number of characters read.
 */
export async function readDownload(client: Pick<LabApi, 'call'>, id: string, write: (text: string) => void | Promise<void>): Promise<number> {
  let chars = 0;
  for (;;) {
    const piece = await client.call('downloads.read', { id });
    chars += piece.text.length;
    try {
      if (piece.text !== '') await write(piece.text);
    } catch (err) {
      if (!piece.done) await client.call('downloads.cancel', { id }).catch(() => undefined);
      throw err;
    }
    if (piece.done) return chars;
  }
}
