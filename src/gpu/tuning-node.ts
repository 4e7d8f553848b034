/**
 * Node only: the tuner's cache (./tuner.ts) as one JSON file, kernel-tuning.json in the
 * project's cache folder (src/io/cache-folder.ts; none with SAE_CACHE_DIR=off).
 * A file that is not JSON, or not this tuner's, is replaced; writes go through a temporary file
 * and a rename, so a crash never leaves half a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheFolder } from '../io/cache-folder';
import type { GpuContext } from './device';
import type { KernelChoice, MatmulShape, TuningCache, TuningEntry } from './tuner';
import { tuneContext, type TuneContextOptions } from './tuning';

/** With SAE_NO_TUNE=1 the commands run the table's kernels, as --no-tune: the test suite sets it (a race per context would cost it seconds). */
export const NO_TUNE_VARIABLE = 'SAE_NO_TUNE';

/** SAE_TUNE_BUDGET_MS=N races for N ms instead of about 2 s (tests give 1: the first guess alone is timed). */
export const TUNE_BUDGET_VARIABLE = 'SAE_TUNE_BUDGET_MS';

/** How the commands tune: off with --no-tune (`tune` false) or SAE_NO_TUNE=1, the budget from SAE_TUNE_BUDGET_MS, the cache file. */
export function nodeTuneOptions(tune: boolean, env: NodeJS.ProcessEnv = process.env): TuneContextOptions {
  const off = !tune || env[NO_TUNE_VARIABLE] === '1';
  const budget = Number(env[TUNE_BUDGET_VARIABLE] ?? NaN);
  return { off, cache: defaultTuningCache(), ...(Number.isFinite(budget) && budget >= 0 ? { budgetMs: budget } : {}) };
}

/** Sets ctx.kernels for a run of these products as the commands do (see nodeTuneOptions). */
export function tuneNodeContext(ctx: GpuContext, shapes: readonly MatmulShape[], tune: boolean): Promise<KernelChoice> {
  return tuneContext(ctx, shapes, nodeTuneOptions(tune));
}

interface CacheFile {
  entries: Record<string, unknown>;
}

async function readEntries(file: string): Promise<Record<string, unknown>> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFile>;
    return typeof parsed.entries === 'object' && parsed.entries !== null && !Array.isArray(parsed.entries) ? parsed.entries : {};
  } catch {
    return {}; // missing or corrupt: rebuilt by the next write
  }
}

/** The tuner's cache file, or undefined when caching is off. */
export function defaultTuningCache(): (TuningCache & { file: string }) | undefined {
  const folder = cacheFolder();
  return folder === undefined ? undefined : fileTuningCache(join(folder, 'kernel-tuning.json'));
}

export function fileTuningCache(file: string): TuningCache & { file: string } {
  return {
    file,
    async read(key) {
      return (await readEntries(file))[key];
    },
    async write(entry: TuningEntry) {
      const entries = await readEntries(file);
      entries[entry.key] = entry;
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ entries } satisfies CacheFile, null, 1)}\n`);
      await rename(temporary, file);
    },
  };
}
