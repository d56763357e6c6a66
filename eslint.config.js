// Lint rules, including the import boundaries of DESIGN.md: arrows only point
// down core <- db <- service <- hosts (cli, electron, renderer).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';
import svelte from 'eslint-plugin-svelte';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `${m}/*`, `node:${m}`, `node:${m}/*`]);
const project = (dir) => [`**/${dir}`, `**/${dir}/**`];
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
  {
    // The CLI is a client: it reaches the service through its entry only (cli/service-module.ts loads it when a command runs).
    files: ['cli/**/*.ts'],
    rules: boundary('hosts talk to service/ only', ['electron', 'renderer', 'db', 'core'], [
      { group: ['**/service/**', '!**/service/index.ts'], message: 'cli/ imports the service entry (service/index.ts) only' },
    ]),
  },
  // renderer/: a browser page. From outside renderer/ it loads service/contract.ts
  // only (the wire types and schemas); anything else of the project by `import type`.
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
          { group: ['cli', 'bench', 'test'].flatMap(project), message: 'renderer/ talks to the service through its contract only' },
          { group: [...['core', 'db', 'electron'].flatMap(project), '**/service/**', '!**/service/contract.ts'], allowTypeImports: true, message: 'renderer/ loads service/contract.ts only; use `import type` for other types' },
          { group: nodeBuiltins, message: 'renderer/ runs in a sandboxed page: no Node APIs' },
        ],
      }],
    },
  },
  // electron/: the desktop shell, a host like cli/: it loads electron and service/ only.
  {
    files: ['electron/**/*.ts'],
    rules: boundary('the desktop shell talks to service/ only', ['cli', 'renderer', 'db', 'core', 'bench', 'test']),
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
  // The run-set view's test computes its verdicts with the service's real statistics.
  {
    files: ['renderer/src/components/RunSets.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: [...['cli', 'electron', 'bench'].flatMap(project), 'electron'], message: 'renderer tests load core/ and service/ at most' }],
      }],
    },
  },
);
