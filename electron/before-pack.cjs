// electron-builder beforePack hook: rebuilds better-sqlite3 for Electron's
// ABI before the app is packed. It downloads Electron's headers, so it runs
// when packaging on a networked release machine, never at install time
// (`npm ci` must stay offline-safe).
//
// It rebuilds node_modules in place: afterwards the Node CLI and tests need
// `npm rebuild better-sqlite3` to get Node's ABI back.
// IOMMU_LAB_SKIP_NATIVE_REBUILD=1 skips it (only for checking the packaging
// layout: the resulting app cannot open its journal).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/** electron-builder's Arch enum (builder-util), by value. */
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

exports.default = async function beforePack(context) {
  if (process.env.IOMMU_LAB_SKIP_NATIVE_REBUILD === '1') {
    console.warn('before-pack: IOMMU_LAB_SKIP_NATIVE_REBUILD=1, better-sqlite3 NOT rebuilt: the packaged app will not open a journal');
    return;
  }
  const projectDir = context.packager.projectDir;
  const arch = ARCH_NAMES[context.arch];
  if (arch === undefined || arch === 'universal') throw new Error(`before-pack: cannot rebuild native modules for arch ${arch ?? context.arch}; package one architecture at a time`);
  if (context.electronPlatformName !== process.platform) {
    throw new Error(`before-pack: native modules cannot be cross-compiled; package for ${context.electronPlatformName} on a ${context.electronPlatformName} machine (this is ${process.platform})`);
  }
  const electronVersion = JSON.parse(readFileSync(join(projectDir, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  // @electron/rebuild (a dependency of electron-builder) is ESM-only.
  const { rebuild } = await import('@electron/rebuild');
  console.log(`before-pack: rebuilding better-sqlite3 for Electron ${electronVersion} (${context.electronPlatformName}-${arch})`);
  await rebuild({ buildPath: projectDir, electronVersion, arch, onlyModules: ['better-sqlite3'], force: true });
};
