// Lint rules, including the import boundaries of DESIGN.md: arrows only point
// down core <- db <- service <- hosts (cli, electron, renderer). Hosts are
// clients: they load the protocol (service/protocol/) and the service's entry
// (service/index.ts), never core/, db/ or the service's inner modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';
import svelte from 'eslint-plugin-svelte';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `${m}/*`, `node:${m}`, `node:${m}/*`]);
const project = (dir) => [`**/${dir}`, `**/${dir}/**`];
/** What a host may load of service/: its entry and the protocol. */
const SERVICE_ENTRY = ['!**/service/index.ts', '!**/service/protocol', '!**/service/protocol/**'];
/** Packages that load Node or native code: a runtime-neutral module must not. */
const NODE_PACKAGES = ['better-sqlite3', 'ws', 'env-paths', 'cli-progress', 'commander', 'csv-stringify', 'csv-stringify/*', 'tsx', 'tsx/*', 'electron', 'playwright-core'];
const boundary = (message, dirs, extra = []) => ({
  'no-restricted-imports': ['error', {
    patterns: [
      { group: dirs.flatMap(project), message },
      ...extra,
    ],
  }],
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'test-artifacts/', 'renderer/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Only electron/ may load electron at runtime; `import type` is fine anywhere.
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', allowTypeImports: true, message: 'only electron/ imports electron' }] }],
    },
  },
  {
    files: ['core/**/*.ts'],
    languageOptions: { globals: { ...globals.es2021 } },
    rules: {
      ...boundary('core/ imports nothing else of the project', ['db', 'service', 'cli', 'electron', 'renderer', 'bench', 'test'], [
        { group: nodeBuiltins, message: 'core/ is pure: no Node APIs' },
        { group: ['electron'], message: 'core/ is pure' },
      ]),
      'no-restricted-globals': ['error', 'process', 'window', 'document', 'require', 'Buffer', 'setTimeout', 'setInterval'],
    },
  },
  {
    files: ['db/**/*.ts'],
    rules: boundary('db/ imports core types at most', ['service', 'cli', 'electron', 'renderer'], [
      { group: project('core'), allowTypeImports: true, message: 'db/ imports core types only' },
    ]),
  },
  {
    files: ['service/**/*.ts'],
    rules: boundary('service/ is host-agnostic: it imports core and db only', ['cli', 'electron', 'renderer']),
  },
  // The protocol is runtime-neutral: the page, Electron main, workers and Node hosts all load it.
  // It imports zod, core's pure schemas and data, and its own modules: no Node, no DOM, no journal.
  {
    files: ['service/protocol/**/*.ts'],
    languageOptions: { globals: { ...globals.es2021, console: 'readonly', queueMicrotask: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['db', 'cli', 'electron', 'renderer', 'bench', 'test'].flatMap(project), message: 'the protocol is runtime-neutral: no journal, no host' },
          { group: ['**/service/*', '**/service/*/**', '!**/service/protocol/**'], message: 'the protocol imports only its own modules (and core\'s pure schemas)' },
          { regex: '^\\.\\./(?!\\.\\./core/)', message: 'the protocol imports only its own modules (and core\'s pure schemas)' },
          { group: nodeBuiltins, message: 'the protocol is runtime-neutral: no Node APIs' },
          { group: NODE_PACKAGES, message: 'the protocol is runtime-neutral: no Node packages' },
        ],
      }],
      'no-restricted-globals': ['error', 'process', 'window', 'document', 'location', 'require', 'Buffer', 'navigator', 'sessionStorage', 'localStorage'],
    },
  },
  {
    // The CLI is a client: it reaches the service through its entry only (cli/service-module.ts loads it when a command runs).
    files: ['cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'renderer', 'bench', 'test'].flatMap(project), message: 'cli/ is a host: it talks to the service only' },
          { group: [...['core', 'db'].flatMap(project)], message: 'cli/ is a client: it calls contract methods through service/index.ts, never core/ or db/' },
          { group: ['**/service/**', ...SERVICE_ENTRY], message: 'cli/ loads service/index.ts and service/protocol/ only' },
        ],
      }],
    },
  },
  // renderer/: a browser page. From outside renderer/ it loads service/protocol/ only
  // (schemas, types, the metric catalog and the client).
  ...svelte.configs.recommended,
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // Plain Maps and Sets are kept on purpose for bookkeeping that must not trigger updates.
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['cli', 'bench', 'test'].flatMap(project), message: 'renderer/ talks to the service through its protocol only' },
          { group: [...['core', 'db'].flatMap(project), '**/service/**', '!**/service/protocol', '!**/service/protocol/**'], message: 'renderer/ loads service/protocol/ only (its types and client included)' },
          { group: project('electron'), allowTypeImports: true, message: 'renderer/ may only `import type` the shell bridge' },
          { group: nodeBuiltins, message: 'renderer/ runs in a sandboxed page: no Node APIs' },
        ],
      }],
    },
  },
  // electron/: the desktop shell, a host like cli/: it loads electron, the service entry and the protocol
  // (main also the static-file rules it shares with `serve`).
  {
    files: ['electron/**/*.ts'],
    rules: boundary('the desktop shell talks to the service only', ['cli', 'db', 'core', 'bench', 'test'], [
      // The menu is built from the page's command list: the one plain-data module it shares with the page.
      { group: ['**/renderer/**', '!**/renderer/src', '!**/renderer/src/lib', '!**/renderer/src/lib/commands.ts'], message: 'electron/ loads of renderer/ only its command list (renderer/src/lib/commands.ts)' },
      { group: ['**/service/**', ...SERVICE_ENTRY, '!**/service/transport', '**/service/transport/*', '!**/service/transport/static-files.ts'], message: 'electron/ loads service/index.ts and service/protocol/ only' },
    ]),
  },
  {
    // Sandboxed preloads cannot load Node modules: electron at runtime, anything else as types.
    files: ['electron/preload.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['*', '.*', '!electron'], allowTypeImports: true, message: 'the sandboxed preload loads only electron at runtime' }],
      }],
    },
  },
  {
    files: ['electron/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The New run form's tests run under Node (vitest): they check the form against
  // the real scenario schema and the service's own validation (core/, service/).
  {
    files: ['renderer/src/lib/form/*.test.ts', 'renderer/src/views/NewRun.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: [...['cli', 'electron', 'bench'].flatMap(project), 'electron'], message: 'renderer tests load core/ and service/ at most' }],
      }],
    },
  },
  // The run-set view's test computes its verdicts with the service's real statistics, the history test its analysis,
  // the run page's test shows a real simulation result.
  {
    files: ['renderer/src/components/RunSets.test.ts', 'renderer/src/lib/history.test.ts', 'renderer/src/views/RunDetail.test.ts', 'renderer/src/components/StorageMetrics.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: [...['cli', 'electron', 'bench'].flatMap(project), 'electron'], message: 'renderer tests load core/ and service/ at most' }],
      }],
    },
  },
);
