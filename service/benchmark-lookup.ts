// The one benchmark lookup: by name, or a not_found error that says how to make one.
import type { Benchmark, Journal } from '../db/index.ts';
import { ServiceError } from './errors.ts';

export function findBenchmark(journal: Pick<Journal, 'benchmarks'>, name: string): Benchmark {
  const benchmark = journal.benchmarks.getBenchmark(name);
  if (!benchmark) throw new ServiceError('not_found', `benchmark ${JSON.stringify(name)} not found in the journal; create it first (benchmarks.create)`);
  return benchmark;
}
