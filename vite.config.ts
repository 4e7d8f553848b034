import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // GPU tests share one software adapter on a 2-core machine: run files one at a time so
    // lavapipe is not split between workers, and give large shapes time to finish.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
