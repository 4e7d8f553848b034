import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  // Relative URLs for every asset, chunk and worker, so the built site works from the server
  // root and from any sub-path (GitHub Pages serves a project at /REPO/).
  base: './',
  // The pages: the trainer (landing page), the SAEs of current practice, classification, the gradient check and the patches.
  build: {
    target: 'es2022',
    rolldownOptions: {
      input: {
        main: page('index.html'),
        sae: page('sae.html'),
        classify: page('classify.html'),
        gradcheck: page('gradcheck.html'),
        patches: page('patches.html'),
      },
    },
    // The MNIST digits (2.3 MB of JSON each) and the photos are assets, never inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  // The pages' workers import modules lazily (the GPU pipeline): ES module workers.
  worker: { format: 'es' },
  test: {
    include: ['test/**/*.test.ts'],
    // GPU tests share one software adapter on a 2-core machine: run files one at a time so
    // lavapipe is not split between workers, and give large shapes time to finish.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
