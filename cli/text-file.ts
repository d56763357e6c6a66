// Text files the user hands the command (scenarios, sweep specs, tool
// output): UTF-8, with or without a byte-order mark, or UTF-16 with one (what
// some editors and PowerShell's `>` write). Anything else is a usage error
// naming the option and the file, never a parser's puzzling message.
import { readFileSync } from 'node:fs';
import { UsageError } from './usage.ts';

export function decodeText(bytes: Uint8Array, option: string, path: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes.includes(0)) throw new UsageError(`${option}: ${path} holds NUL bytes: UTF-16 without a byte-order mark, or not text; save it as UTF-8`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${option}: ${path} is not UTF-8 text; save it as UTF-8`);
  }
}

/** The file's text; unreadable files and unknown encodings are usage errors naming `option`. */
export function readTextFile(path: string, option: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeText(bytes, option, path);
}
