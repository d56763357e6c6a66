// Kernel version strings and comparisons.

import type { KernelVersion } from './types.ts';

// Mainline and stable releases only: distribution strings such as
// "5.15.0-91-generic" carry their own patch levels that do not map to an
// upstream stable release, so guessing one would pick the wrong rules.
const VERSION_FORM = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-rc(\d+))?$/;

const EXPECTED_FORM =
  'MAJOR.MINOR[.PATCH] with an optional "v" prefix or "-rcN" suffix, e.g. "6.3", "6.3.13", "5.10.200", "v6.3", "6.8-rc3"';

/** Parses "6.3", "6.3.13", "v6.3" or "6.8-rc3"; a release candidate counts as patch 0 of the release it precedes. */
export function parseKernelVersion(v: string): KernelVersion {
  const match = VERSION_FORM.exec(typeof v === 'string' ? v.trim() : '');
  if (!match) {
    throw new Error(`kernel: expected ${EXPECTED_FORM}; got ${JSON.stringify(v)}`);
  }
  const [major, minor, patch] = [match[1], match[2], match[3] ?? '0'].map(Number) as [number, number, number];
  if (![major, minor, patch].every(Number.isSafeInteger)) {
    throw new Error(`kernel: version numbers out of range in ${JSON.stringify(v)}; expected ${EXPECTED_FORM}`);
  }
  return { major, minor, patch };
}

export function compareVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** a >= major.minor.patch */
export function atLeast(a: KernelVersion, major: number, minor: number, patch = 0): boolean {
  return compareVersions(a, { major, minor, patch }) >= 0;
}

/** a is on the major.minor branch (mainline release or its stable updates). */
export function onBranch(a: KernelVersion, major: number, minor: number): boolean {
  return a.major === major && a.minor === minor;
}

export function formatVersion(v: KernelVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
