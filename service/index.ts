// The service's entry for hosts: the service, the protocol it speaks (schemas,
// errors, metric catalog, the client and its transports), and the host
// helpers (where the journal lives, the in-process client, the wire
// dispatcher, the `serve` server). Hosts import this and the protocol, never
// core/ or db/.
import { Lab, type LabOptions } from './lab.ts';
import { inProcessTransport, LabClient, type LabClientOptions } from './protocol/index.ts';

export * from './protocol/index.ts';
export { Lab, type LabOptions } from './lab.ts';
export { defaultJournalPath } from '../db/paths.ts';
export { attachChannel, type AttachedChannel, type DispatchTarget, type WireChannel } from './transport/dispatch.ts';
export { startServer, tokenFromFile, type RunningServer, type ServerOptions } from './transport/http-server.ts';
export { confineFiles, type FileAccess } from './transport/file-access.ts';
// The summary of one metric over runs (mean, sd, range), as every surface computes it.
export { summarizeRunSet, type RunSetSummary } from './stats.ts';

/** A service in this process and the one client over it; closing the client does not close the service. */
export function openInProcess(opts: LabOptions & LabClientOptions): { lab: Lab; client: LabClient } {
  const lab = Lab.open(opts);
  return { lab, client: new LabClient(inProcessTransport(lab), opts.validateResults === undefined ? {} : { validateResults: opts.validateResults }) };
}
export { startQueueWorker, maskRedisUrl, type QueueWorker, type QueueWorkerOptions } from './distributed/index.ts';
