import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

/** The Node.js major version running the tests (relaxed SIMD needs a flag up to Node 20). */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer); the same headers are
 * set for the dev server and `vite preview`, and the build writes them to `_headers` for static hosts.
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The page's Content-Security-Policy: only its own origin, no inline or eval'd script. The exceptions, each
 * needed and none reaching another host: 'wasm-unsafe-eval' compiles WebAssembly (tfjs's WASM backend, the
 * KMeans kernel); blob: workers and scripts are the WASM backend's threads, which Emscripten starts from a
 * Blob of its own code; inline styles are plotly's injected stylesheet; data: images are how plotly draws its PNG download.
 */
const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
];
/** frame-ancestors only works as a header (browsers ignore it, with a warning, in a meta element). */
export const CONTENT_SECURITY_POLICY = [...CSP_DIRECTIVES, "frame-ancestors 'none'"].join('; ');

/** Headers of the built app: `vite preview` sends them, and `_headers` carries them to static hosts. */
const productionHeaders = { ...isolationHeaders, 'Content-Security-Policy': CONTENT_SECURITY_POLICY };

/**
 * Puts the policy into the built page too (a meta element, for hosts that ignore `_headers`) and writes
 * `_headers`. Not in the dev server: Vite's hot reload injects an inline script the policy would block.
 */
function securityHeaders(): Plugin {
  return {
    name: 'security-headers',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP_DIRECTIVES.join('; ') }, injectTo: 'head-prepend' }],
    generateBundle() {
      const lines = Object.entries(productionHeaders).map(([name, value]) => `  ${name}: ${value}`);
      this.emitFile({ type: 'asset', fileName: '_headers', source: ['# Headers for static hosts that read _headers files (Netlify, Cloudflare Pages).', '/*', ...lines, ''].join('\n') });
    },
  };
}

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
  plugins: [react(), wasmThreadsMinifyFix(), securityHeaders()],
  server: { headers: isolationHeaders },
  preview: { headers: productionHeaders },
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
          // Node 20 runs relaxed SIMD (the weight gradient's fused multiply-add) only with this flag; later
          // Nodes and the browsers have it on. With it, the unit tests run the kernels the page runs.
          execArgv: NODE_MAJOR <= 20 ? ['--experimental-wasm-relaxed-simd'] : [],
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
