// npm start: compiles the command and builds the UI when it is missing or older than its sources, then opens the desktop app, or, where
// Electron's binary is not on this machine (it downloads on first launch and
// machines without internet cannot fetch it), the same UI in a browser
// through `iommu-lab serve --open`.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uiBuildReason } from './ui-staleness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (...parts) => join(root, ...parts);

/** Runs a command to completion with the terminal attached; returns its exit code. */
function runToEnd(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.error) console.error(`start: could not run ${command}: ${r.error.message}`);
  return r.status ?? 1;
}

/** Runs the long-lived app, passing on Ctrl+C / SIGTERM, and exits with its code. */
function runApp(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('error', (err) => {
    console.error(`start: could not run ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function buildRendererIfStale() {
  const reason = uiBuildReason(root);
  if (reason === null) return;
  const config = at('renderer', 'vite.config.ts');
  if (!existsSync(config)) {
    console.error('start: renderer/vite.config.ts not found; starting without a built UI');
    return;
  }
  console.error(`start: building the UI (renderer/dist): ${reason}…`);
  const vite = at('node_modules', 'vite', 'bin', 'vite.js');
  if (runToEnd(process.execPath, [vite, 'build', '--config', config]) !== 0) {
    console.error('start: the UI build failed (see above); starting anyway, the window will say the UI is not built');
  }
}

/**
 * The Electron binary, if it is already on disk. Mirrors how the electron
 * package locates it, without its fallback of downloading the binary (which
 * would hang or fail on a machine without internet).
 */
function electronBinary() {
  const pkgDir = at('node_modules', 'electron');
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? join(override, relative || 'electron') : join(pkgDir, 'dist', relative);
  try {
    accessSync(binary, constants.X_OK);
    return binary;
  } catch {
    return null;
  }
}

// The command is compiled on every start (about a second), so a changed source never runs stale.
if (runToEnd(process.execPath, [at('scripts', 'build-cli.mjs')]) !== 0) process.exit(1);
buildRendererIfStale();
const electron = electronBinary();
if (electron === null) {
  console.log('Electron is not available on this machine (offline); opening the same UI through iommu-lab serve --open');
  runApp(process.execPath, [at('bin', 'iommu-lab.js'), 'serve', '--open']);
} else {
  if (runToEnd(process.execPath, [at('electron', 'build.mjs')]) !== 0) process.exit(1);
  const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8'));
  // With "main" set, `electron .` runs the app under its own name (user data folder, menus).
  runApp(electron, [pkg.main ? '.' : at('out', 'electron', 'main.js')]);
}
