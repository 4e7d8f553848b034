/** The tuner on the real adapter (lavapipe here), at a tiny budget: what it chooses passes the twin's check, runs in models, and is cached. Counts, never times. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelConfigFor } from '../../src/gpu/device';
import { denseMatmulShapes, sameKernels, tuningCandidates, type TuningEntry } from '../../src/gpu/tuner';
import { checkKernels, racedShapes, tuneContext } from '../../src/gpu/tuning';
import { fileTuningCache } from '../../src/gpu/tuning-node';
import { useGpuContext } from './context';

const gpu = useGpuContext();
let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kernel tuning on this adapter', () => {
  it('chooses checked kernels within a tiny budget, caches them, and a second context reads them back', async () => {
    const ctx = gpu();
    dir = await mkdtemp(join(tmpdir(), 'tuning-gpu-'));
    const cache = fileTuningCache(join(dir, 'kernel-tuning.json'));
    const shapes = denseMatmulShapes(256, [20, 12, 20], 256);
    const choice = await tuneContext(ctx, shapes, { cache, budgetMs: 1 });
    expect(choice.source).toBe('tuned');
    const raced = choice.raced!;
    // The budget lets the first guess run and no other.
    expect(raced.filter((r) => !r.skipped)).toHaveLength(1);
    expect(raced).toHaveLength(tuningCandidates(ctx.adapterInfo, ctx.device.limits).length);
    expect(raced[0]).toMatchObject({ passed: true });
    expect(raced[0].ms).toBeGreaterThan(0);
    expect(await checkKernels(ctx, choice.config)).toBe(true);
    expect(kernelConfigFor(ctx)).toBe(choice.config);

    const saved = JSON.parse(await readFile(cache.file, 'utf8')) as { entries: Record<string, TuningEntry> };
    expect(Object.values(saved.entries)).toHaveLength(1);
    expect(sameKernels(Object.values(saved.entries)[0].config, choice.config)).toBe(true);

    const compiled = ctx.pipelines.stats.pipelinesCreated;
    const again = await tuneContext(ctx, shapes, { cache, budgetMs: 1 });
    expect(again.source).toBe('cached');
    expect(ctx.pipelines.stats.pipelinesCreated).toBe(compiled); // nothing raced, nothing compiled
    ctx.kernels = undefined;
  });

  it('a tile shape no table chooses passes the check, and the race runs on at most maxRows of the data', async () => {
    const ctx = gpu();
    const candidates = tuningCandidates(ctx.adapterInfo, ctx.device.limits);
    const tiled = candidates.find((c) => c.matmul === 'registers' && c.tiling?.tileRows === 4)!;
    expect(await checkKernels(ctx, tiled)).toBe(true);
    expect(racedShapes(ctx, denseMatmulShapes(10000, [64, 25, 64], 256), 512).every((s) => (s.layout === 'TN' ? s.K : s.M) === 512)).toBe(true);
  });
});
