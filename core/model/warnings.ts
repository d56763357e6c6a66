// What a result warns about: every code, with what it means, in one place.
// A warning says when a number is an artefact of the run or the model rather
// than of the system. Adding a code is adding an entry here.

export const WARNINGS = {
  'run-shorter-than-flush-timer': 'the measured run is shorter than one flush-queue timer period: timer flushes (and the stale windows they end) may be missing from it',
  'lock-past-soft-lockup': "a CPU held or spun on a lock for longer than the kernel's soft-lockup threshold: the guest would report a lockup",
  'lock-past-latency-threshold': 'a CPU held or spun on a lock with interrupts off, or was blocked in the VMM, for longer than the latency threshold',
  'untrusted-policy-refused': 'an untrusted device was asked to run lazy or passthrough; the kernel gives it strict, and so does the run',
  'untrusted-policy-forced': 'forcePolicy ran an untrusted device lazy or passthrough, which the kernel never does',
  'policy-unreachable': "the scenario's policy is one the guest kernel cannot reach from its command line: a what-if",
  'untrusted-bounce-not-modelled': 'untrusted devices bounce sub-page buffers through swiotlb; the copy is not charged',
  'single-queue-what-if': 'a single flush queue where the guest kernel has none (before v6.7, or a driver without shadow_on_flush)',
} as const;

export type WarningCode = keyof typeof WARNINGS;
export const WARNING_CODES = Object.keys(WARNINGS) as WarningCode[];

export interface Warning {
  code: WarningCode;
  message: string;
}

/**
 * The soft-lockup detector fires after 2 x watchdog_thresh seconds without
 * scheduling (kernel/watchdog.c, watchdog_thresh = 10 by default).
 */
export const SOFT_LOCKUP_THRESHOLD_MS = 20_000;

/**
 * Interrupts off (or a vCPU stuck in the VMM) for longer than this delays the
 * CPU's own NAPI and timer work past what a NIC ring absorbs: a 1024-entry
 * RX ring at a quarter of 100 GbE line rate (2 Mpps) fills in 0.5 ms, and
 * 1 ms is one tick at HZ=1000.
 */
export const LATENCY_THRESHOLD_MS = 1;
