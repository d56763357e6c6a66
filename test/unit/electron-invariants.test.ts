// Security and packaging invariants of the desktop shell, checked on the
// sources and the packaging config (Electron itself cannot be launched in CI).
// Sources are parsed with the TypeScript compiler, so comments and strings
// cannot satisfy a check by accident.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { rendererCsp } from '../../service/transport/static-files.ts';
import { contentSecurityPolicy } from '../../service/transport/http-server.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const read = (rel: string): string => readFileSync(`${root}${rel}`, 'utf8');
const parse = (rel: string): ts.SourceFile => ts.createSourceFile(rel, read(rel), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);

function nodesOf<T extends ts.Node>(file: ts.SourceFile, is: (n: ts.Node) => n is T): T[] {
  const found: T[] = [];
  const visit = (n: ts.Node): void => {
    if (is(n)) found.push(n);
    n.forEachChild(visit);
  };
  visit(file);
  return found;
}

/** Calls like `x.name(...)` (any receiver). */
function callsOf(file: ts.SourceFile, name: string): ts.CallExpression[] {
  return nodesOf(file, ts.isCallExpression).filter((c) => ts.isPropertyAccessExpression(c.expression) && c.expression.name.text === name);
}

const stringArg = (c: ts.CallExpression, i: number): string | undefined => {
  const a = c.arguments[i];
  return a && ts.isStringLiteralLike(a) ? a.text : undefined;
};

/** True when `node` contains a call to `callee` (identifier or property name), optionally with these literal args. */
function containsCall(node: ts.Node, callee: string, argText?: string): boolean {
  let hit = false;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const name = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : '';
      if (name === callee && (argText === undefined || n.arguments.map((a) => a.getText()).join(', ') === argText)) hit = true;
    }
    n.forEachChild(visit);
  };
  visit(node);
  return hit;
}

const main = parse('electron/main.ts');
const preload = parse('electron/preload.ts');

interface BuilderConfig {
  files?: string[];
  asarUnpack?: string[];
  npmRebuild?: boolean;
  beforePack?: string;
  linux?: { target?: (string | { target: string })[] };
  mac?: { target?: (string | { target: string })[] };
  win?: { target?: (string | { target: string })[] };
}

function loadBuilderConfig(): BuilderConfig {
  const yamlPath = `${root}electron-builder.yml`;
  if (existsSync(yamlPath)) {
    // js-yaml comes with electron-builder; no YAML parser of our own.
    const yaml = require('js-yaml') as { load(text: string): unknown };
    return yaml.load(readFileSync(yamlPath, 'utf8')) as BuilderConfig;
  }
  const pkg = JSON.parse(read('package.json')) as { build?: BuilderConfig };
  assert.ok(pkg.build, 'no electron-builder.yml and no "build" section in package.json');
  return pkg.build;
}

const targetNames = (t: BuilderConfig['linux']): string[] => (t?.target ?? []).map((x) => (typeof x === 'string' ? x : x.target));

test('the window is isolated, sandboxed, without Node, with web security', () => {
  const prefs = nodesOf(main, ts.isPropertyAssignment).filter((p) => p.name.getText() === 'webPreferences');
  assert.equal(prefs.length, 1, 'one BrowserWindow with webPreferences');
  const literal = prefs[0]!.initializer;
  assert.ok(ts.isObjectLiteralExpression(literal), 'webPreferences is an object literal (checkable)');
  const value = (name: string): string | undefined =>
    literal.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === name)?.initializer.getText();
  assert.equal(value('contextIsolation'), 'true');
  assert.equal(value('sandbox'), 'true');
  assert.equal(value('nodeIntegration'), 'false');
  assert.equal(value('webSecurity'), 'true');
  assert.ok(value('preload'), 'a preload is set');
  assert.ok(!literal.properties.some(ts.isSpreadAssignment), 'no spread that could override the flags');
  // Nowhere else in the shell may these be weakened.
  const unsafe: Record<string, string> = { contextIsolation: 'false', sandbox: 'false', nodeIntegration: 'true', nodeIntegrationInWorker: 'true', nodeIntegrationInSubFrames: 'true', webSecurity: 'false', allowRunningInsecureContent: 'true', webviewTag: 'true' };
  for (const p of nodesOf(main, ts.isPropertyAssignment)) {
    const name = p.name.getText();
    assert.notEqual(p.initializer.getText(), unsafe[name], `${name}: ${p.initializer.getText()} at line ${main.getLineAndCharacterOfPosition(p.getStart()).line + 1}`);
  }
});

test('new windows are denied and navigation away from app:// is prevented', () => {
  const openHandlers = callsOf(main, 'setWindowOpenHandler');
  assert.ok(openHandlers.length >= 1, 'setWindowOpenHandler is installed');
  for (const call of openHandlers) {
    const text = call.arguments[0]?.getText() ?? '';
    assert.match(text, /action:\s*'deny'/);
    assert.doesNotMatch(text, /'allow'/);
  }
  const navigate = callsOf(main, 'on').filter((c) => stringArg(c, 0) === 'will-navigate');
  assert.equal(navigate.length, 1, 'one will-navigate guard');
  const handler = navigate[0]!.arguments[1]!;
  assert.ok(containsCall(handler, 'preventDefault'), 'will-navigate prevents');
  assert.match(handler.getText(), /APP_ORIGIN/, 'the guard compares against the app:// origin');
  // The guard is applied to every web contents, not just the first window.
  const created = callsOf(main, 'on').find((c) => stringArg(c, 0) === 'web-contents-created');
  assert.ok(created && containsCall(created, 'harden'), 'hardening runs on web-contents-created');
});

test('permissions are denied, IPC from the page is checked, one instance runs', () => {
  const perm = callsOf(main, 'setPermissionRequestHandler');
  assert.equal(perm.length, 1);
  assert.ok(containsCall(perm[0]!, 'callback', 'false'));
  assert.ok(!containsCall(perm[0]!, 'callback', 'true'));

  // The page sends nothing over IPC; should a handler appear, it must check who sent it.
  const ipcHandlers = nodesOf(main, ts.isCallExpression).filter((c) => /^ipcMain\.(handle|handleOnce|on|once)$/.test(c.expression.getText()));
  for (const h of ipcHandlers) {
    assert.match(h.getText(), /senderFrame/, `ipcMain handler ${h.arguments[0]?.getText()} checks event.senderFrame.url`);
    assert.match(h.getText(), /APP_ORIGIN/, `ipcMain handler ${h.arguments[0]?.getText()} requires the app:// origin`);
  }
  const pageToMain = nodesOf(preload, ts.isCallExpression).filter((c) => /^ipcRenderer\.(send|sendSync|invoke|postMessage)$/.test(c.expression.getText()));
  for (const c of pageToMain) {
    const name = stringArg(c, 0) ?? c.arguments[0]?.getText();
    assert.ok(ipcHandlers.some((h) => h.arguments[0]?.getText() === c.arguments[0]?.getText() || stringArg(h, 0) === name), `preload sends ${name}: main must handle it with a sender check`);
  }

  assert.equal(callsOf(main, 'requestSingleInstanceLock').length, 1);
  assert.ok(callsOf(main, 'on').some((c) => stringArg(c, 0) === 'second-instance'));
  assert.equal(callsOf(main, 'handle').filter((c) => c.expression.getText() === 'protocol.handle').length, 1, 'app:// is served by protocol.handle');
});

test('the CSP allows own scripts only and no eval, on app:// and on serve', () => {
  for (const csp of [rendererCsp(), contentSecurityPolicy(4567)]) {
    assert.match(csp, /(^|; )default-src 'self'(;|$)/);
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  }
  assert.match(contentSecurityPolicy(4567), /connect-src 'self' ws:\/\/127\.0\.0\.1:4567 ws:\/\/localhost:4567/);
  // The shell builds its CSP from the same function and sends it with its pages.
  assert.ok(containsCall(main, 'rendererCsp'));
  assert.ok(nodesOf(main, ts.isStringLiteral).some((s) => s.text === 'Content-Security-Policy'));
  // The scheme is privileged as standard and secure (origin isolation, secure context).
  const privileged = callsOf(main, 'registerSchemesAsPrivileged')[0];
  assert.ok(privileged);
  assert.match(privileged.getText(), /standard:\s*true/);
  assert.match(privileged.getText(), /secure:\s*true/);
});

test('the sandboxed preload loads only electron at runtime', () => {
  const runtimeImports = preload.statements
    .filter(ts.isImportDeclaration)
    .filter((d) => !d.importClause?.isTypeOnly)
    .map((d) => (d.moduleSpecifier as ts.StringLiteral).text);
  assert.deepEqual(runtimeImports, ['electron']);
  assert.ok(!preload.statements.some(ts.isExportDeclaration), 'no re-exports');
  assert.ok(!containsCall(preload, 'require'), 'no require()');
  assert.ok(!nodesOf(preload, ts.isCallExpression).some((c) => c.expression.kind === ts.SyntaxKind.ImportKeyword), 'no dynamic import()');
  const exposed = callsOf(preload, 'exposeInMainWorld');
  assert.equal(exposed.length, 1, 'one object exposed');
  assert.equal(stringArg(exposed[0]!, 0), 'iommuLab');
  // The bundle script fails the build if the bundled preload imports anything else.
  assert.match(read('electron/build.mjs'), /format: 'cjs'/);
});

test('packaging: better-sqlite3 unpacked and rebuilt in beforePack, targets declared, no rebuild at install', () => {
  const config = loadBuilderConfig();
  // minimatch (via electron-builder) exports the function itself up to v3, a named export after.
  type Match = (path: string, pattern: string, opts?: { dot?: boolean }) => boolean;
  const mod = require('minimatch') as Match | { minimatch: Match };
  const minimatch = typeof mod === 'function' ? mod : mod.minimatch;
  const nativeFile = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  assert.ok((config.asarUnpack ?? []).some((p) => minimatch(nativeFile, p, { dot: true })), `asarUnpack covers ${nativeFile}`);
  assert.equal(config.npmRebuild, false, 'npmRebuild: false (the beforePack hook rebuilds)');
  assert.ok(config.beforePack, 'beforePack is set');
  assert.ok(existsSync(`${root}${config.beforePack}`), `${config.beforePack} exists`);
  const hook = require(`${root}${config.beforePack}`) as { default?: unknown };
  assert.equal(typeof hook.default, 'function', 'the hook exports a default function');
  assert.match(read(config.beforePack), /@electron\/rebuild/);
  assert.ok(existsSync(`${root}node_modules/@electron/rebuild/package.json`), '@electron/rebuild is installed (via electron-builder)');

  const linux = targetNames(config.linux);
  assert.ok(linux.includes('AppImage') && linux.includes('deb'), `linux targets: ${linux.join(', ')}`);
  assert.ok(targetNames(config.mac).length > 0, 'mac targets declared');
  assert.ok(targetNames(config.win).length > 0, 'win targets declared');
  for (const f of ['out/electron/main.js', 'out/electron/preload.cjs', 'renderer/dist/index.html', 'package.json']) {
    assert.ok((config.files ?? []).some((p) => minimatch(f, p)), `files include ${f}`);
  }

  const pkg = JSON.parse(read('package.json')) as { scripts?: Record<string, string> };
  for (const hookName of ['preinstall', 'install', 'postinstall', 'prepare']) {
    const script = pkg.scripts?.[hookName] ?? '';
    assert.doesNotMatch(script, /install-app-deps|electron-rebuild|@electron\/rebuild|playwright install/, `${hookName} must not download binaries`);
  }
});

test('electron-builder accepts the configuration (its own schema)', async (t) => {
  let validate: (config: unknown, logger: unknown) => Promise<void>;
  let Logger: new (enabled: boolean) => unknown;
  try {
    ({ validateConfiguration: validate } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: typeof validate });
    ({ DebugLogger: Logger } = require('builder-util') as { DebugLogger: typeof Logger });
  } catch (err) {
    t.skip(`electron-builder's validator is not loadable here: ${(err as Error).message}`);
    return;
  }
  await validate(loadBuilderConfig(), new Logger(false));
});
