// Lint rules, including the import boundaries of DESIGN.md: arrows only point
// down core <- db <- service <- hosts (cli, electron, renderer).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

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
    files: ['cli/**/*.ts'],
    rules: boundary('hosts talk to service/ only', ['electron', 'renderer', 'db'], [
      { group: project('core'), allowTypeImports: true, message: 'cli/ goes through service/' },
    ]),
  },
);
