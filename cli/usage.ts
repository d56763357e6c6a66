// Usage errors: the CLI prints one line per problem and exits 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `text` as one single-quoted POSIX shell word, for a command line the user pastes. */
export function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A word of a command line the user pastes: as it is when plain, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w.,:@%+=/-]+$/.test(word) ? word : singleQuoted(word);
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * A stream that stops taking writes once its reader has gone (`runs list |
 * head`): the pipe's EPIPE would otherwise be an uncaught error with a stack
 * trace. The command itself finishes (a sweep still journals its runs) and
 * exits with its own code.
 */
function writerTo(stream: NodeJS.WriteStream): (s: string) => void {
  let readerGone = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    readerGone = true;
  });
  return (s) => {
    if (!readerGone) stream.write(s.endsWith('\n') ? s : `${s}\n`);
  };
}

export const processIo: Io = { out: writerTo(process.stdout), err: writerTo(process.stderr) };

export function parseIntOption(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
}

/** Commander accumulator for repeatable options (--set a=1 --set b=2). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--context key=value` pairs as an object; keys are free-form (kernel, qemu, commit, ...). */
export function parseContext(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context must look like key=value, e.g. kernel=6.3 or qemu=8.2; got "${p}"`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}
