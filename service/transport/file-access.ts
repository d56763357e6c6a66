// Which files a peer of the API may name. The methods that take a path
// (journal.backup writes one, journal.merge reads one) act with the host's
// rights, so a page or a remote script must not choose any path it likes:
// over a transport the host confines them to one folder it allows (`serve
// --files DIR`), or refuses them (the default, and the desktop app's page,
// where the shell picks files with native dialogs). The CLI in process calls
// the service directly: the user typed the path.
import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ServiceError } from '../protocol/errors.ts';
import type { DispatchTarget } from './dispatch.ts';

/** Methods whose `path` parameter names a file on the host, and what they do with it. */
const FILE_METHODS: Readonly<Record<string, 'write' | 'read'>> = { 'journal.backup': 'write', 'journal.merge': 'read' };

export interface FileAccess {
  /** The folder peers may name files in; null: none. */
  root: string | null;
  /** Tells a refused peer how the host allows file access (e.g. "start serve with --files DIR"). */
  howToAllow: string;
}

function refuse(message: string): ServiceError {
  return ServiceError.invalid([{ path: 'path', message }]);
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path `path` names inside `realRoot` (relative paths are taken from
 * it), or an `invalid` error naming `path`. Paths outside, and any whose
 * folders resolve (through symbolic links) outside, get one and the same
 * answer, so a peer learns nothing of files outside. The file itself must not
 * be a symbolic link; a file read must exist, a file written must not.
 */
export function confinedPath(realRoot: string, path: string, use: 'write' | 'read'): string {
  const outside = refuse(`must name a file inside the folder the host allows, ${realRoot}`);
  if (path.includes('\0')) throw refuse('must not contain NUL characters');
  const lexical = resolve(realRoot, path);
  if (lexical === realRoot || !isInside(realRoot, lexical)) throw outside;
  let folder: string;
  try {
    folder = realpathSync(dirname(lexical));
  } catch {
    throw outside; // a missing folder, or a dangling link: the same answer as outside
  }
  if (!isInside(realRoot, folder)) throw outside;
  const file = join(folder, basename(lexical));
  let kind: 'missing' | 'link' | 'file' | 'other' = 'missing';
  try {
    const st = lstatSync(file);
    kind = st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : 'other';
  } catch {
    // missing
  }
  if (kind === 'link') throw refuse(`${file} is a symbolic link; name the file itself`);
  if (use === 'read' && kind !== 'file') throw refuse(`${file} is not a file in ${realRoot}`);
  if (use === 'write' && kind !== 'missing') throw refuse(`${file} already exists; a backup never overwrites a file`);
  return file;
}

/** `target` as a peer of a transport may use it: file methods confined by `access`, all else passed through. */
export function confineFiles(target: DispatchTarget, access: FileAccess): DispatchTarget {
  // Resolved once: the folder's own links are the host's choice.
  const realRoot = access.root === null ? null : realpathSync(access.root);
  return {
    on: (event, listener) => target.on(event, listener),
    ...(target.parseJson ? { parseJson: (bytes: Uint8Array) => target.parseJson!(bytes) } : {}),
    call: async (method, params) => {
      const use = Object.hasOwn(FILE_METHODS, method) ? FILE_METHODS[method] : undefined;
      const path = (params as { path?: unknown } | null | undefined)?.path;
      // Without a string path the method's own schema answers.
      if (use === undefined || typeof path !== 'string' || path === '') return target.call(method, params);
      if (realRoot === null) throw refuse(`file access through the API is off for this client; ${access.howToAllow}`);
      return target.call(method, { ...(params as object), path: confinedPath(realRoot, path, use) });
    },
  };
}
