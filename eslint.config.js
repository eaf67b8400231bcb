// Lint is where DESIGN.md's module boundaries are enforced: each zone below lists what a module may not import.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const UI_LIBS = ['react', 'react-dom', 'react-dom/*', 'react/*', 'zustand', 'zustand/*', '@xyflow/react'];
const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'http', 'https', 'net', 'child_process', 'worker_threads'];

/** Modules above the core, which the core must never reach into. */
const UPPER = ['**/state/**', '**/canvas/**', '**/ui/**', '**/app/**', '**/cli/**'];

/** Tests may reach across boundaries to check behaviour (e.g. round a kernel's output with the codec). */
const TEST_FILES = ['**/*.test.ts', '**/*.browser.test.ts', '**/*.test-support.ts'];

const zone = (files, groups, extra = {}) => ({
  files,
  ignores: TEST_FILES,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [{ name: 'comlink', message: 'comlink belongs in engine/client.ts and engine/worker.ts only.' }],
        patterns: [
          { group: UI_LIBS, message: 'The core (shared, io, recipe, methods, plan, gpu, engine) imports no React, zustand or xyflow.' },
          ...groups,
        ],
        ...extra,
      },
    ],
  },
});

const notFrom = (globs, message, allowTypeImports = false) => ({ group: globs, message, allowTypeImports });
const ZUSTAND = notFrom(['zustand', 'zustand/*'], 'zustand only in state/.');
const XYFLOW = notFrom(['@xyflow/react'], '@xyflow/react only in canvas/.');
const ENGINE_INTERNALS = notFrom(['**/engine/*', '!**/engine/api'], 'UI reaches the engine through state/.');
const uiZone = (files, groups) => ({
  files,
  ignores: TEST_FILES,
  rules: { 'no-restricted-imports': ['error', { patterns: [notFrom(NODE_BUILTINS, 'No Node built-ins in the browser UI.'), ...groups] }] },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'playwright-report/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  // Core modules: no UI libraries, no DOM globals, node built-ins only in node-* adapters.
  {
    files: ['src/{shared,io,recipe,methods,plan,gpu,engine}/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.browser.test.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'window', message: 'The core runs in workers and Node: no window.' },
        { name: 'document', message: 'The core runs in workers and Node: no document.' }],
    },
  },
  zone(['src/shared/**/*.ts'], [notFrom(['../*', '../**'], 'shared/ imports nothing from other modules.'), notFrom(NODE_BUILTINS, 'Node built-ins only in node-* files.')]),
  zone(['src/io/**/*.ts'], [
    notFrom(['**/recipe/**', '**/methods/**', '**/plan/**', '**/engine/**', '**/gpu/**', ...UPPER], 'io/ may import shared/ and io/ only.'),
  ]),
  zone(['src/methods/**/*.ts'], [
    notFrom(['**/recipe/**', '**/plan/**', '**/engine/**', '**/gpu/**', '**/io/source/**', '**/io/sink/**', '**/io/model/**', ...UPPER], 'methods/ may import shared/ only (and dtype types).'),
    notFrom(['**/io/safetensors/**'], 'methods/ may import safetensors dtype types only.', true),
  ]),
  zone(['src/recipe/**/*.ts'], [
    notFrom(['**/io/**', '**/plan/**', '**/engine/**', '**/gpu/**', ...UPPER], 'recipe/ may import shared/ and methods/ only.'),
  ]),
  zone(['src/plan/**/*.ts'], [
    notFrom(['**/engine/**', '**/gpu/**', '**/io/source/**', '**/io/sink/**', ...UPPER], 'plan/ is pure: shared, recipe, methods and io types only.'),
  ]),
  zone(['src/gpu/**/*.ts'], [
    notFrom(['**/io/source/**', '**/io/sink/**', '**/io/model/**', '**/recipe/**', '**/plan/**', '**/engine/**', ...UPPER], 'gpu/ knows nothing about models: shared, methods (ops), dtype types and shaders only.'),
    notFrom(['**/io/safetensors/**'], 'gpu/ may import safetensors dtype types only.', true),
  ]),
  zone(['src/engine/**/*.ts'], [notFrom(UPPER, 'engine/ must not import UI or state.')]),
  {
    files: ['src/{shared,io,recipe,methods,plan,gpu,engine}/**/*.ts'],
    ignores: ['src/**/node-*.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/^(node:|fs$|path$|os$|http$)/]", message: 'Node built-ins only in node-* files, the CLI and tests.' }],
    },
  },
  // UI layers: React hooks rules; zustand only in state/; xyflow only in canvas/; ui/ is presentational.
  {
    files: ['src/{app,ui,canvas,state}/**/*.{ts,tsx}', 'src/main.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  uiZone(['src/app/**/*.{ts,tsx}', 'src/main.tsx'], [ZUSTAND, XYFLOW, ENGINE_INTERNALS]),
  uiZone(['src/canvas/**/*.{ts,tsx}'], [ZUSTAND, ENGINE_INTERNALS]),
  uiZone(['src/state/**/*.{ts,tsx}'], [XYFLOW, notFrom(['**/engine/*', '!**/engine/api', '!**/engine/client'], 'state/ reaches the engine through engine/client only.')]),
  uiZone(['src/ui/**/*.{ts,tsx}'], [ZUSTAND, XYFLOW, notFrom(['../*', '../**'], 'ui/ is presentational: props in, events out; import react only.')]),
  {
    files: ['src/engine/client.ts', 'src/engine/worker.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: UI_LIBS, message: 'No UI libraries in the engine.' }] }] },
  },
  {
    files: ['test/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{js,mjs,ts}', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
