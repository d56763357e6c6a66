// loadService() of the compiled command: scripts/build-cli.mjs puts this file
// in place of cli/service-module.ts. The service is a CommonJS bundle,
// service.cjs beside this chunk, compiled with the V8 code cache the build
// wrote (service.cjs.cache): Node 20 keeps no compiled code between runs, and
// compiling the service is a good part of a journal command's start. V8
// rejects a cache from another Node version; the bundle then simply compiles.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** Runs a CommonJS file as Node would, with `file.cache` as its code cache when there is one. */
export function runWithCodeCache(file) {
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    cachedData = undefined; // no cache: V8 compiles the source
  }
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script };
}

let service;

export function loadService() {
  service ??= Promise.resolve().then(() => runWithCodeCache(fileURLToPath(new URL('./service.cjs', import.meta.url))).exports);
  return service;
}
