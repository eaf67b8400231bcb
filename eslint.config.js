// Lint is where docs/ARCHITECTURE.md's module map is enforced: MODULE_MAP below is that map, and each folder's zone
// refuses imports of every folder the map does not give it.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const UI_LIBS = ['react', 'react-dom', 'react-dom/*', 'react/*', 'zustand', 'zustand/*', '@xyflow/react'];
const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'http', 'https', 'net', 'child_process', 'worker_threads'];

/** Tests may reach across boundaries to check behaviour (e.g. round a kernel's output with the codec). */
const TEST_FILES = ['**/*.test.ts', '**/*.browser.test.ts', '**/*.test-support.ts'];

/**
 * The module map: each folder of src/ and what it may import besides itself and npm packages. An entry is a folder
 * (`plan`), one file of a folder (`engine/api`), or a folder's types only (`io/model:types`).
 */
const MODULE_MAP = {
  shared: [],
  'io/source': ['shared', 'io/safetensors'],
  'io/safetensors': ['shared', 'io/source', 'io/sink'],
  'io/sink': ['shared'],
  'io/model': ['shared', 'io/source', 'io/safetensors', 'io/sink'],
  'io/hub-publish': ['shared', 'io/source', 'io/safetensors', 'io/sink'],
  'io/gguf': ['shared', 'io/safetensors', 'io/sink'],
  methods: ['shared', 'io/safetensors:types'],
  recipe: ['shared', 'methods'],
  plan: ['shared', 'recipe', 'methods', 'io/safetensors', 'io/model:types', 'io/gguf:types'],
  gpu: ['shared', 'methods', 'io/safetensors:types'],
  tryit: ['shared', 'io/gguf/types'],
  engine: ['shared', 'io/source', 'io/safetensors', 'io/sink', 'io/model', 'io/gguf', 'methods', 'recipe', 'plan', 'gpu'],
  cli: ['shared', 'io/source', 'io/safetensors', 'io/sink', 'io/model', 'io/gguf', 'io/hub-publish', 'methods', 'recipe', 'plan', 'gpu', 'engine'],
  state: ['shared', 'io/source', 'io/safetensors', 'io/sink', 'io/model', 'io/gguf:types', 'methods', 'recipe', 'plan', 'tryit', 'engine/api', 'engine/client'],
  canvas: ['shared', 'methods', 'recipe', 'state', 'ui'],
  ui: [],
  app: ['shared', 'io/source', 'io/model', 'io/hub-publish', 'methods', 'recipe', 'plan/card-extras', 'tryit', 'engine/api', 'state', 'canvas', 'ui'],
};

/** How an import names a folder: `../plan/x` anywhere; inside io/ also `../source/x` for a sibling. */
const folderGlobs = (folder) => (folder.startsWith('io/') ? [`**/${folder}/**`, `../${folder.slice(3)}/**`] : [`**/${folder}/**`]);

/** The import patterns a folder's zone refuses: every other folder of the map it is not given, or given only in part. */
function mapPatterns(folder) {
  const may = MODULE_MAP[folder];
  const message = `${folder}/ may import ${may.length === 0 ? 'no other folder' : may.map((m) => m.replace(':types', ' (types)')).join(', ')} (docs/ARCHITECTURE.md).`;
  const patterns = [];
  for (const other of Object.keys(MODULE_MAP)) {
    if (other === folder || may.includes(other)) continue;
    const files = may.filter((m) => m.startsWith(`${other}/`));
    if (may.includes(`${other}:types`)) patterns.push({ group: folderGlobs(other), message, allowTypeImports: true });
    else if (files.length > 0) patterns.push({ group: [`**/${other}/*`, ...files.map((f) => `!**/${f}`)], message });
    else patterns.push({ group: folderGlobs(other), message });
  }
  return patterns;
}

const notFrom = (globs, message) => ({ group: globs, message });
const CORE_PACKAGES = [notFrom(UI_LIBS, 'The core (shared, io, recipe, methods, plan, gpu, engine) imports no React, zustand or xyflow.')];
const COMLINK = { name: 'comlink', message: 'comlink belongs in engine/client.ts and engine/worker.ts only.' };
const ZUSTAND = notFrom(['zustand', 'zustand/*'], 'zustand only in state/.');
const XYFLOW = notFrom(['@xyflow/react'], '@xyflow/react only in canvas/.');
const NO_NODE = notFrom(NODE_BUILTINS, 'No Node built-ins in shared/ or the browser UI.');

/** The zone of one folder of the map, with the packages it may not import either. */
const zone = (folder, files, packages, extra = {}) => ({
  files,
  ignores: TEST_FILES,
  rules: { 'no-restricted-imports': ['error', { patterns: [...packages, ...mapPatterns(folder)], ...extra }] },
});
const core = (folder, packages = []) => zone(folder, [`src/${folder}/**/*.ts`], [...CORE_PACKAGES, ...packages], { paths: [COMLINK] });

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
  core('shared', [NO_NODE]),
  ...['io/source', 'io/safetensors', 'io/sink', 'io/model', 'io/hub-publish', 'io/gguf', 'methods', 'recipe', 'plan', 'gpu', 'engine', 'tryit'].map((folder) => core(folder)),
  // comlink's two homes: the worker entry and its main-thread proxy.
  zone('engine', ['src/engine/client.ts', 'src/engine/worker.ts'], CORE_PACKAGES),
  zone('cli', ['src/cli/**/*.ts'], CORE_PACKAGES),
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
  zone('app', ['src/app/**/*.{ts,tsx}', 'src/main.tsx'], [NO_NODE, ZUSTAND, XYFLOW]),
  zone('canvas', ['src/canvas/**/*.{ts,tsx}'], [NO_NODE, ZUSTAND]),
  zone('state', ['src/state/**/*.{ts,tsx}'], [NO_NODE, XYFLOW]),
  zone('ui', ['src/ui/**/*.{ts,tsx}'], [NO_NODE, ZUSTAND, XYFLOW]),
  // Files stay small enough to hold one responsibility: split by concern past 400 lines.
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    rules: { 'max-lines': ['warn', { max: 400 }] },
  },
  {
    files: ['test/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{js,mjs,ts}', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
