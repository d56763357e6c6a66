// The service module, imported the first time a command needs it, never at
// start-up. Every part of the CLI loads the service through this function.
// The compiled command replaces this file (scripts/cli-load-service.mjs): it
// loads a CommonJS bundle of the service with V8's code cache.
import type * as Service from '../service/index.ts';

export type ServiceModule = typeof Service;

export function loadService(): Promise<ServiceModule> {
  return import('../service/index.ts');
}
