import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  // Relative URLs for every asset, chunk and worker, so the built site works from the server
  // root and from any sub-path (GitHub Pages serves a project at /REPO/).
  base: './',
  // The pages: the trainer (landing page), the SAEs of current practice, classification, the gradient check, the patches, PCA and the benchmark.
  build: {
    target: 'es2022',
    rolldownOptions: {
      input: {
        main: page('index.html'),
        sae: page('sae.html'),
        classify: page('classify.html'),
        gradcheck: page('gradcheck.html'),
        patches: page('patches.html'),
        pca: page('pca.html'),
        bench: page('bench.html'),
      },
    },
    // The MNIST digits (2.3 MB of JSON each) and the photos are assets, never inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  // The pages' workers import modules lazily (the GPU pipeline): ES module workers.
  worker: { format: 'es' },
  // Dependencies only the workers import are not found by the dev server's first crawl; found
  // later, they are bundled then and every open page is reloaded, which loses a page's state
  // (a link's marked fields, a run under way). Named here, they are bundled at start.
  optimizeDeps: { include: ['idb', 'ml-matrix', 'jpeg-js', 'fast-png', 'fflate'] },
  test: {
    include: ['test/**/*.test.ts'],
    // GPU tests share one software adapter on a 2-core machine: run files one at a time so
    // lavapipe is not split between workers, and give large shapes time to finish.
    fileParallelism: false,
    // Commands the tests run use the table's kernels: a tuning race would cost each run seconds (test/gpu/tuning.test.ts tests the tuner).
    env: { SAE_NO_TUNE: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
