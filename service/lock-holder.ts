// Which process holds a journal's write lock, where the system tells (Linux:
// /proc/locks), so "journal busy" can name it. In WAL mode SQLite's write
// lock is a POSIX lock on byte 120 of the -shm file (WAL_WRITE_LOCK).
import { readFileSync, statSync } from 'node:fs';

const WAL_WRITE_LOCK_BYTE = 120;

/** The device as /proc/locks prints it: major:minor in hex (Linux's encoding of st_dev). */
function procDevice(dev: number): string {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `${hex(major)}:${hex(minor)}`;
}

/** The pid of another process holding the write lock on `journalPath`, if the system says; else undefined. */
export function writeLockHolder(journalPath: string, locksText?: string): number | undefined {
  try {
    const shm = statSync(`${journalPath}-shm`);
    const file = `${procDevice(shm.dev)}:${shm.ino}`;
    const text = locksText ?? (process.platform === 'linux' ? readFileSync('/proc/locks', 'utf8') : '');
    for (const line of text.split('\n')) {
      // "1: POSIX  ADVISORY  WRITE 18912 fe:00:2287358 120 120"
      const f = line.trim().split(/\s+/);
      if (f[1] !== 'POSIX' || f[3] !== 'WRITE' || f[5] !== file) continue;
      const start = Number(f[6]);
      const end = f[7] === 'EOF' ? Infinity : Number(f[7]);
      const pid = Number(f[4]);
      if (start <= WAL_WRITE_LOCK_BYTE && WAL_WRITE_LOCK_BYTE <= end && Number.isInteger(pid) && pid > 0 && pid !== process.pid) return pid;
    }
  } catch {
    // no -shm file, or no /proc: the holder stays unnamed
  }
  return undefined;
}
