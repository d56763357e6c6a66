// The packaged app's Electron fuses (electron-builder.yml): the binary cannot
// be run as plain Node or driven by NODE_OPTIONS / --inspect, loads its code
// only from a checked asar, and encrypts cookies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// js-yaml comes with electron-builder; no YAML parser of our own.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
const config = yaml.load(readFileSync(`${root}electron-builder.yml`, 'utf8')) as { electronFuses?: Record<string, unknown>; asar?: unknown };

test('the fuses that keep the binary from being repurposed are set', () => {
  assert.deepEqual(
    {
      runAsNode: config.electronFuses?.runAsNode,
      enableNodeOptionsEnvironmentVariable: config.electronFuses?.enableNodeOptionsEnvironmentVariable,
      enableNodeCliInspectArguments: config.electronFuses?.enableNodeCliInspectArguments,
      enableCookieEncryption: config.electronFuses?.enableCookieEncryption,
      onlyLoadAppFromAsar: config.electronFuses?.onlyLoadAppFromAsar,
      enableEmbeddedAsarIntegrityValidation: config.electronFuses?.enableEmbeddedAsarIntegrityValidation,
      grantFileProtocolExtraPrivileges: config.electronFuses?.grantFileProtocolExtraPrivileges,
    },
    {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    },
  );
  // The asar those fuses rely on is not switched off.
  assert.notEqual(config.asar, false);
});

test('the shell starts no process that needs ELECTRON_RUN_AS_NODE (runAsNode is off)', () => {
  for (const file of ['electron/main.ts', 'electron/service-host.ts']) {
    const source = readFileSync(`${root}${file}`, 'utf8');
    assert.doesNotMatch(source, /child_process|ELECTRON_RUN_AS_NODE/, file);
  }
});
