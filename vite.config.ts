import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

/**
 * Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer); the same headers are
 * set for the dev server and `vite preview`, and `public/_headers` carries them to static hosts.
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * tfjs-wasm's threaded module serialises its own factory into the pthread blob, where the closure variable
 * `_scriptDir` does not exist. Unminified, `typeof _scriptDir` guards it; the minifier renames it and drops
 * the guard (`e!==void 0&&e`), so every pthread dies with a ReferenceError. The page always passes
 * `mainScriptUrlOrBlob`, so the two uses can go.
 */
function wasmThreadsMinifyFix(): Plugin {
  return {
    name: 'tfjs-wasm-threads-minify-fix',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('tfjs-backend-wasm-threaded-simd.js')) return null;
      const fixed = code
        .replaceAll('if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', '')
        .replaceAll('Module["mainScriptUrlOrBlob"]||_scriptDir', 'Module["mainScriptUrlOrBlob"]');
      if (fixed === code) this.error('tfjs-wasm threaded module changed: the _scriptDir fix no longer applies');
      return { code: fixed, map: null };
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [react(), wasmThreadsMinifyFix()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: 'es', plugins: () => [wasmThreadsMinifyFix()] },
  optimizeDeps: {
    include: ['react', 'react-dom', 'react-dom/client', '@tensorflow/tfjs', 'plotly.js-dist-min'],
  },
  build: { target: 'es2022', chunkSizeWarningLimit: 6000 },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
