// iommu-lab serve: the lab's UI and API for a browser, on 127.0.0.1 only,
// for headless lab machines (reach it through an SSH tunnel) and for the
// end-to-end tests.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { journalOption, openLab, type JournalOpts } from '../client.ts';
import { loadService } from '../service-module.ts';
import { parseIntOption, UsageError, type Io } from '../usage.ts';

/** The built renderer, relative to this file so it works from any working directory (compiled, this file is out/cli/*.js: two levels down too). */
export const RENDERER_DIST = fileURLToPath(new URL('../../renderer/dist', import.meta.url));

interface ServeOpts extends JournalOpts {
  port: number;
  open: boolean;
  files?: string;
  tokenFile?: string;
  redis?: string;
}

/** The --files folder as an absolute path; a usage error unless it is an existing folder. */
function filesFolder(dir: string | undefined): string | null {
  if (dir === undefined) return null;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new UsageError(`--files: ${dir} is not an existing folder`);
  return resolve(dir);
}

/** The platform's "open this URL" command; `start` is a cmd builtin on Windows. */
function openerFor(url: string): [string, string[]] {
  if (process.platform === 'darwin') return ['open', [url]];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

function openInBrowser(url: string, io: Io): void {
  const [command, args] = openerFor(url);
  const byHand = (): void => io.err(`Could not open a browser; open ${url} by hand.`);
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', byHand);
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) byHand();
    });
    child.unref();
  } catch {
    byHand();
  }
}

/** Resolves once `signal` aborts or the process gets SIGINT/SIGTERM. */
function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolveStop) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolveStop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Serves until stopped, then closes the server and the lab. The first stdout
 * line is the URL with its token (scripts read it); `stop` lets a caller end
 * it without a signal.
 */
export async function serve(opts: ServeOpts, io: Io, stop?: AbortSignal): Promise<void> {
  const filesDir = filesFolder(opts.files);
  const lab = await openLab(opts.journal, { redisUrl: opts.redis });
  try {
    const { startServer, tokenFromFile, LabClient, inProcessTransport } = await loadService();
    let token: string | undefined;
    if (opts.tokenFile !== undefined) {
      try {
        token = tokenFromFile(opts.tokenFile).token;
      } catch (err) {
        throw new UsageError(`--token-file: ${(err as Error).message}`);
      }
    }
    // The journal opens before the port does, through the protocol: a journal that cannot be opened is one line and exit 2.
    const probe = new LabClient(inProcessTransport(lab));
    // So does a Redis that does not answer (one line naming the masked URL).
    const [journalPath, workers] = await Promise.all([
      probe.call('journal.info', {}).then((info) => info.path),
      opts.redis === undefined ? null : probe.call('sweeps.workers', {}),
    ]).finally(() => probe.close());
    const server = await startServer({ lab, port: opts.port, staticDir: RENDERER_DIST, filesDir, ...(token === undefined ? {} : { token }) }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new UsageError(`--port: ${opts.port} is already in use on 127.0.0.1; pick another, or 0 for a free one`);
      if (err.code === 'EACCES') throw new UsageError(`--port: ${opts.port} needs privileges; use a port above 1023, or 0 for a free one`);
      throw err;
    });
    try {
      const pageUrl = `${server.url}?token=${server.token}`;
      io.out(`Listening on ${pageUrl}`);
      io.out(`Journal: ${journalPath}`);
      if (workers) io.out(`Workers: sweeps may run on \`iommu-lab worker\` processes of ${workers.redis ?? ''} (${workers.workers.filter((w) => w.compatible).length} of this model online)`);
      io.out(filesDir === null ? 'Files: none (journal.backup and journal.merge take no paths; see --files)' : `Files: ${filesDir} (journal.backup and journal.merge take paths inside it only)`);
      io.out('Press Ctrl+C to stop.');
      // The browser's command line is visible to other local users: it gets a one-time link, not the token.
      if (opts.open) openInBrowser(server.oneTimeOpenUrl(), io);
      await untilStopped(stop);
    } finally {
      await server.close();
    }
  } finally {
    await lab.close();
  }
}

export function registerServe(program: Command, io: Io): void {
  journalOption(
    program
      .command('serve')
      .description('serve the lab UI and its API on 127.0.0.1 (token-protected) until Ctrl+C')
      .option('--port <n>', 'TCP port on 127.0.0.1 (0 picks a free one)', parseIntOption('--port', 0, 65535), 0)
      .option('--open', 'open the URL in the default browser', false)
      .option('--files <dir>', 'let API clients back up the journal to, and merge journals from, files inside DIR (default: no file paths)')
      .option('--token-file <path>', 'keep the token in PATH (created 0600 with a fresh token if missing) so the address survives a restart (default: a fresh token each start)')
      .option('--redis <url>', 'let the sweep form run sweeps on `iommu-lab worker` processes through this Redis: redis://[:password@]host[:port][/db] or rediss://'),
  ).action((opts: ServeOpts) => serve(opts, io));
}
