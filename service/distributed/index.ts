// Sweeps on several machines: the coordinator's scheduler over a BullMQ queue, and the worker process's loop.
export { checkRedis, RemoteScheduler } from './remote-scheduler.ts';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker.ts';
export { maskRedisUrl } from './redis-url.ts';
