// The service's process favors memory over speed once it does bulk work.
// Sweeps and exports make garbage fast while little stays alive (under 60 MB
// with 10k runs queued; a page of runs in an export). By default V8 lets the
// heap grow well past the live set before a full collection and gives every
// isolate a large young generation: a 10k-run sweep of short runs peaked at
// 504 MB RSS (265 MB sized for memory), a CSV export of 100k runs in process
// at 263 MB (193 MB), at the price of more collections: that export took
// 13-19 s instead of 10-11 s; the simulations themselves (in workers) no longer.
import { setFlagsFromString } from 'node:v8';

let favored = false;

/** Process-wide (every isolate, workers started after it included) and for good; set once. */
export function favorMemoryOverSpeed(): void {
  if (favored) return;
  favored = true;
  setFlagsFromString('--optimize-for-size');
}
