// Entry of a pool worker whose module is TypeScript. On Node 20, a worker does
// not get loader hooks from `execArgv: ['--import', tsx]` (nodejs/node#47747),
// and tsx's `--import` loader only registers itself on the main thread there,
// so the worker registers tsx through its API before importing the module.
import { workerData } from 'node:worker_threads';

const { apiUrl, moduleUrl } = workerData.tsx;
const { register } = await import(apiUrl);
register();
await import(moduleUrl);
