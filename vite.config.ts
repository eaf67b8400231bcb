/// <reference types="vitest/config" />
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/chromium.ts';
import { llamaReference } from './test/llama-reference.ts';

const shaders = fileURLToPath(new URL('./shaders', import.meta.url));

/** Generates the offline demo models into public/demo/ (scripts/demo) before the dev server or a build starts. */
function demoModels(): Plugin {
  let publicDir = '';
  return {
    name: 'merge-studio-demo-models',
    configResolved(config) {
      publicDir = config.publicDir;
    },
    buildStart() {
      if (publicDir === '' || process.env['VITEST'] !== undefined) return;
      const tsx = fileURLToPath(new URL('./node_modules/.bin/tsx', import.meta.url));
      execFileSync(tsx, [fileURLToPath(new URL('./scripts/demo/generate.ts', import.meta.url)), publicDir], { stdio: 'inherit' });
    },
  };
}

/**
 * Cross-origin isolation, so llama.cpp in the tab (Try it) gets SharedArrayBuffer and runs on several threads.
 * `credentialless` keeps cross-origin reads without CORP headers working (they go without cookies); the Hub is
 * fetched with CORS anyway. Production hosts must send the same two headers.
 */
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

export default defineConfig({
  plugins: [react(), demoModels()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  resolve: { alias: { '@shaders': shaders } },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', 'node_modules/**'],
          setupFiles: ['test/setup-node.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['src/**/*.browser.test.ts', 'test/**/*.browser.test.ts'],
          globalSetup: ['test/global-setup-browser.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            commands: { llamaReference },
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
