/**
 * Fuzzed readers: every file reader gets truncated, bit-flipped and
 * length-lied variants of valid files and must give valid data or the project's own error
 * (DataError; CheckpointError for checkpoints) naming the file: never another exception, a
 * case over a second, or an allocation beyond what the file could hold. See harness.ts for
 * FUZZ_RUNS and FUZZ_SEED, mutations.ts for the variants, targets/ for the seed files.
 *
 *   npx vitest run test/fuzz                                     # 500 cases per reader
 *   FUZZ_RUNS=5000 npx vitest run test/fuzz/readers.test.ts      # thousands, with counts
 */
import { describe, expect, it } from 'vitest';
import { formatSummary, fuzz, fuzzRuns, reportCounts } from './harness';

const readers = ['mat', 'idx', 'npy', 'safetensors', 'png', 'jpeg', 'checkpoint', 'lbfgs-snapshot', 'model-json', 'classify-checkpoint', 'classifier-model-json'];

describe('fuzzed readers', () => {
  for (const reader of readers) {
    it(`${reader}: valid data or the reader's own error, within time and memory`, { timeout: 60_000 + fuzzRuns * 100 }, async () => {
      const summary = await fuzz(reader);
      if (reportCounts) console.log(formatSummary(summary));
      expect(summary.failure).toBeUndefined();
      expect(summary.cases).toBe(fuzzRuns);
      expect(summary.valid + summary.errors).toBe(fuzzRuns);
    });
  }
});
