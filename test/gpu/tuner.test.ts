/** The tuner's logic (src/gpu/tuner.ts) with an injected clock and fake timings: no GPU. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseKernelConfig, type AdapterSummary, type KernelConfig } from '../../src/gpu/adapter';
import {
  chooseTunedKernels,
  denseMatmulShapes,
  describeKernelChoice,
  describeKernelConfig,
  fitsLimits,
  raceKernels,
  sameKernels,
  TUNER_VERSION,
  tuningCandidates,
  tuningKey,
  workgroupTileBytes,
  type TuningCache,
  type TuningEntry,
  type TuningLimits,
  uniqueShapes,
} from '../../src/gpu/tuner';
import { fileTuningCache, nodeTuneOptions } from '../../src/gpu/tuning-node';
import { stageMatmulShapes } from '../../src/classify/preflight';

const adapter = (vendor: string, architecture: string, description = '', subgroupSize = 0): AdapterSummary => ({
  vendor,
  architecture,
  description,
  device: '',
  isFallbackAdapter: false,
  subgroups: subgroupSize > 0,
  subgroupMinSize: subgroupSize,
  subgroupMaxSize: subgroupSize,
});
const lavapipe = adapter('mesa', 'software', 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', 8);
const swiftshader = adapter('google', 'swiftshader', '', 4);
const nvidia = adapter('nvidia', 'hopper', 'NVIDIA H100', 32);
const limits: TuningLimits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256, maxComputeWorkgroupStorageSize: 16384 };
const shapes = denseMatmulShapes(10000, [64, 25, 64], 256);

/** A clock that only the fake timings move. */
function fakeClock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Timings by variant label; each timing advances the clock by its cost. */
function fakeTimings(clock: ReturnType<typeof fakeClock>, ms: (c: KernelConfig) => number, costMs = 100) {
  const timed: string[] = [];
  return {
    timed,
    time: async (c: KernelConfig) => {
      timed.push(describeKernelConfig(c));
      clock.advance(costMs);
      return ms(c);
    },
  };
}

function memoryCache(initial: Record<string, unknown> = {}): TuningCache & { entries: Record<string, unknown>; writes: number; reads: number } {
  const cache = {
    entries: { ...initial },
    writes: 0,
    reads: 0,
    async read(key: string) {
      cache.reads++;
      return cache.entries[key];
    },
    async write(entry: TuningEntry) {
      cache.writes++;
      cache.entries[entry.key] = entry;
    },
  };
  return cache;
}

describe('tuning candidates', () => {
  it('start with the table\'s choice and list each offered variant, within the adapter\'s limits', () => {
    for (const info of [lavapipe, swiftshader, nvidia]) {
      const candidates = tuningCandidates(info, limits);
      expect(candidates[0]).toEqual(chooseKernelConfig(info));
      const variants = new Set(candidates.map((c) => c.matmul));
      expect(variants.has('registers') && variants.has('workgroup') && variants.has('unrolled')).toBe(true);
      expect(variants.has('subgroups')).toBe(info !== nvidia); // 32 does not divide 16: no fixed size to compile for
      expect(candidates.every((c) => fitsLimits(c, limits))).toBe(true);
      for (let i = 0; i < candidates.length; i++) for (let j = i + 1; j < candidates.length; j++) expect(sameKernels(candidates[i], candidates[j])).toBe(false);
    }
    // The second candidates are the other variants at their defaults: likeliest wins first.
    expect(tuningCandidates(lavapipe, limits).slice(0, 4).map((c) => c.matmul)).toEqual(['subgroups', 'registers', 'workgroup', 'unrolled']);
  });

  it('leave out tiles beyond the workgroup size or memory', () => {
    const small: TuningLimits = { maxComputeInvocationsPerWorkgroup: 128, maxComputeWorkgroupSizeX: 128, maxComputeWorkgroupSizeY: 64, maxComputeWorkgroupStorageSize: 8192 };
    const candidates = tuningCandidates(nvidia, small);
    const tiled = candidates.slice(1).filter((c) => c.matmul === 'workgroup');
    expect(tiled.length).toBeGreaterThan(0);
    for (const c of tiled) {
      expect((c.tiling?.wgX ?? 16) * (c.tiling?.wgY ?? 16)).toBeLessThanOrEqual(128);
      expect(workgroupTileBytes(c.tiling ?? { tileRows: 4, tileCols4: 1, wgY: 16 })).toBeLessThanOrEqual(8192);
    }
    // The 16 × 16 default does not fit 128 threads: only the first guess names it (it runs without tuning, and its check would fail).
    expect(candidates[0]).toEqual(chooseKernelConfig(nvidia));
    expect(fitsLimits(candidates[0], small)).toBe(false);
  });

  it('key on the adapter (driver included), the products and the tuner version', () => {
    const key = tuningKey(lavapipe, shapes);
    expect(key).toContain(`v${TUNER_VERSION}`);
    expect(key).toContain('llvmpipe');
    expect(tuningKey({ ...lavapipe, driver: '25.1' }, shapes)).not.toBe(key);
    expect(tuningKey(lavapipe, denseMatmulShapes(10000, [784, 196, 784], 256))).not.toBe(key);
    expect(shapes.map((s) => `${s.layout} ${s.M}×${s.N}×${s.K}`)).toEqual(['NN 10000×28×64', 'TN 64×28×10000', 'NN 10000×64×28', 'TN 28×64×10000', 'NT 10000×28×64']);
  });
});

describe('the race', () => {
  const candidates = tuningCandidates(lavapipe, limits);

  it('keeps the fastest checked candidate, and the first guess when nothing is faster by the margin', async () => {
    const clock = fakeClock();
    const faster = fakeTimings(clock, (c) => (c.matmul === 'registers' && !c.tiling ? 5 : 10));
    const won = await raceKernels({ candidates, budgetMs: 1e6, now: clock.now, check: async () => true, time: faster.time });
    expect(won.config).toEqual(candidates.find((c) => c.matmul === 'registers' && !c.tiling));
    expect(won.records.every((r) => r.ms !== undefined)).toBe(true);

    const close = fakeTimings(clock, (c) => (c === candidates[0] ? 10 : 9.8)); // 2% faster: noise
    const kept = await raceKernels({ candidates, budgetMs: 1e6, now: clock.now, check: async () => true, time: close.time });
    expect(kept.chosen).toBe(0);
    expect(kept.config).toBe(candidates[0]);
  });

  it('never chooses a candidate that fails its check or throws, however fast', async () => {
    const clock = fakeClock();
    const broken = candidates[2];
    const throwing = candidates[3];
    const timings = fakeTimings(clock, (c) => (c === broken || c === throwing ? 1 : 10));
    const result = await raceKernels({
      candidates,
      budgetMs: 1e6,
      now: clock.now,
      check: async (c) => {
        if (c === throwing) throw new Error('validation error');
        return c !== broken;
      },
      time: timings.time,
    });
    expect(result.chosen).toBe(0);
    expect(result.records[2]).toMatchObject({ passed: false });
    expect(result.records[2].ms).toBeUndefined(); // a failing candidate is not even timed
    expect(result.records[3]).toMatchObject({ passed: false, error: 'validation error' });
    expect(timings.timed).not.toContain(describeKernelConfig(broken));
  });

  it('falls back to the fastest passing candidate when the first guess fails, and reports none when all fail', async () => {
    const clock = fakeClock();
    const timings = fakeTimings(clock, (c) => (c === candidates[4] ? 3 : 8));
    const result = await raceKernels({ candidates, budgetMs: 1e6, now: clock.now, check: async (c) => c !== candidates[0], time: timings.time });
    expect(result.chosen).toBe(4);
    const none = await raceKernels({ candidates, budgetMs: 1e6, now: clock.now, check: async () => false, time: timings.time });
    expect(none.chosen).toBe(-1);
    expect(none.config).toBe(candidates[0]);
  });

  it('starts no candidate that would end past the budget, and always runs the first guess', async () => {
    const clock = fakeClock();
    const timings = fakeTimings(clock, () => 10, 700);
    const result = await raceKernels({ candidates, budgetMs: 2000, now: clock.now, check: async () => true, time: timings.time });
    expect(timings.timed).toHaveLength(2); // started at 0 and 700 ms; the third would end at 2100
    expect(result.records.filter((r) => r.skipped)).toHaveLength(candidates.length - 2);
    expect(result.elapsedMs).toBe(1400);
    const tiny = fakeTimings(clock, () => 10, 700);
    await raceKernels({ candidates, budgetMs: 0, now: clock.now, check: async () => true, time: tiny.time });
    expect(tiny.timed).toEqual([describeKernelConfig(candidates[0])]);
    const instant = fakeTimings(clock, () => 10, 0);
    await raceKernels({ candidates, budgetMs: 0, now: clock.now, check: async () => true, time: instant.time });
    expect(instant.timed).toEqual([describeKernelConfig(candidates[0])]);
  });

  it('expects each challenger to cost what the dearest candidate so far cost, its check (compiles) included', async () => {
    // A fresh lavapipe: the first guess's compiles make it cost 2.5 s, more than the budget; a
    // challenger would cost as much again. The first guess alone is raced and kept.
    const clock = fakeClock();
    const timings = fakeTimings(clock, (c) => (c === candidates[0] ? 10 : 1), 100);
    const check = async (c: KernelConfig) => (clock.advance(c === candidates[0] ? 2400 : 100), true);
    const fresh = await raceKernels({ candidates, budgetMs: 2000, now: clock.now, check, time: timings.time });
    expect(fresh.records.filter((r) => !r.skipped).map((r) => r.kernels)).toEqual([describeKernelConfig(candidates[0])]);
    expect(fresh.chosen).toBe(0);
    expect(fresh.elapsedMs).toBe(2500);

    // Compiles cached: the first guess costs 300 ms, so challengers start while one more fits; a
    // challenger that costs 600 ms (its own compiles) raises the expectation for the next ones.
    const costs = new Map<KernelConfig, number>([[candidates[0], 200], [candidates[1], 500]]);
    const warm = fakeTimings(clock, (c) => (c === candidates[2] ? 5 : 10), 100);
    const race = await raceKernels({ candidates, budgetMs: 2000, now: clock.now, check: async (c) => (clock.advance(costs.get(c) ?? 200), true), time: warm.time });
    // 0 → 300 (first guess), → 900 (candidate 1), → 1200, → 1500; a fifth, expected to cost 600, would end at 2100
    expect(warm.timed).toEqual(candidates.slice(0, 4).map(describeKernelConfig));
    expect(race.elapsedMs).toBe(1500);
    expect(race.chosen).toBe(2);
  });

  it('counts the first guess’s compiles made ahead of the race (a warm-up) in what a challenger is expected to cost', async () => {
    // The warm-up compiled the first guess in 2.4 s before the race: it then costs 300 ms in the
    // race, but a challenger, compiled by nobody, is expected to cost 2.7 s: none fits 2 s.
    const clock = fakeClock();
    const timings = fakeTimings(clock, () => 10, 100);
    const check = async () => (clock.advance(200), true);
    const ahead = await raceKernels({ candidates, budgetMs: 2000, now: clock.now, check, time: timings.time, compiledAheadMs: () => 2400 });
    expect(timings.timed).toEqual([describeKernelConfig(candidates[0])]);
    expect(ahead.elapsedMs).toBe(300);
    // Nothing compiled ahead: the same race tries challengers while one more fits.
    const none = fakeTimings(clock, () => 10, 100);
    await raceKernels({ candidates, budgetMs: 2000, now: clock.now, check, time: none.time, compiledAheadMs: () => 0 });
    expect(none.timed.length).toBeGreaterThan(1);
  });

  it('hands the timing its deadline on the same clock', async () => {
    const clock = fakeClock();
    const deadlines: number[] = [];
    await raceKernels({ candidates: candidates.slice(0, 2), budgetMs: 500, now: clock.now, check: async () => true, time: async (_c, d) => (deadlines.push(d), 1) });
    expect(deadlines).toEqual([1500, 1500]);
  });
});

describe('the cached choice', () => {
  const base = { info: lavapipe, limits, shapes, budgetMs: 1e6, check: async () => true };

  it('races once, caches, and a hit skips racing', async () => {
    const clock = fakeClock();
    const cache = memoryCache();
    const timings = fakeTimings(clock, (c) => (c.matmul === 'registers' ? 4 : 10));
    const first = await chooseTunedKernels({ ...base, cache, now: clock.now, date: () => 5_000, time: timings.time });
    expect(first).toMatchObject({ source: 'tuned', tunedAt: 5_000 });
    expect(first.config.matmul).toBe('registers');
    expect(cache.writes).toBe(1);
    expect(describeKernelChoice(first, 5_400)).toMatch(/^registers 8×auto, tuned 0\.4 s ago \(raced \d+ of \d+ in \d+\.\d s\)$/);
    const raced = timings.timed.length;
    const again = await chooseTunedKernels({ ...base, cache, now: clock.now, time: timings.time });
    expect(again).toMatchObject({ source: 'cached', tunedAt: 5_000, config: first.config });
    expect(timings.timed).toHaveLength(raced); // nothing timed
    expect(cache.writes).toBe(1);
    expect(describeKernelChoice(again, 6_900)).toMatch(/^registers 8×auto, cached: tuned 1\.9 s ago \(raced \d+ of \d+ in \d+\.\d s\)$/);
  });

  it('rebuilds a corrupt, stale or foreign entry instead of trusting it', async () => {
    const key = tuningKey(lavapipe, shapes);
    const good = { version: TUNER_VERSION, key, config: chooseKernelConfig(lavapipe), tunedAt: 1, raceMs: 1, raced: [] };
    const bad: unknown[] = [
      'not an object',
      null,
      { ...good, version: TUNER_VERSION - 1 },
      { ...good, key: 'another adapter' },
      { ...good, config: { matmul: 'workgroup', subgroupSize: 8, laneGroup: 8, splitK: 256, tiling: { tileRows: 4, tileCols4: 1, wgX: 64, wgY: 64, tileK: 64 } } },
      { ...good, config: { matmul: 'quantum' } },
      { ...good, tunedAt: 'yesterday' },
    ];
    for (const entry of bad) {
      const clock = fakeClock();
      const cache = memoryCache({ [key]: entry });
      const timings = fakeTimings(clock, () => 10);
      const choice = await chooseTunedKernels({ ...base, cache, now: clock.now, time: timings.time });
      expect(choice.source, JSON.stringify(entry)).toBe('tuned');
      expect(timings.timed.length).toBeGreaterThan(0);
      expect((cache.entries[key] as TuningEntry).version).toBe(TUNER_VERSION);
    }
    const cache = memoryCache({ [key]: good });
    expect((await chooseTunedKernels({ ...base, cache, now: fakeClock().now, time: async () => 1 })).source).toBe('cached');
  });

  it('keeps the table\'s choice, uncached, when nothing passes; a cache that fails costs a race, not the run', async () => {
    const clock = fakeClock();
    const cache = memoryCache();
    const none = await chooseTunedKernels({ ...base, cache, now: clock.now, check: async () => false, time: async () => 1 });
    expect(none).toMatchObject({ source: 'table', config: chooseKernelConfig(lavapipe), note: 'no candidate passed the check against the twin' });
    expect(cache.writes).toBe(0);
    expect(describeKernelChoice(none)).toMatch(/table default/);

    const failing: TuningCache = {
      read: async () => {
        throw new Error('disk gone');
      },
      write: async () => {
        throw new Error('read-only');
      },
    };
    const choice = await chooseTunedKernels({ ...base, cache: failing, now: clock.now, time: async () => 1 });
    expect(choice).toMatchObject({ source: 'tuned', note: 'not cached: read-only' });
  });

  it('keeps its entries in one JSON file, and replaces a corrupt file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tuning-'));
    try {
      const file = join(dir, 'sub', 'kernel-tuning.json');
      const cache = fileTuningCache(file);
      const clock = fakeClock();
      const first = await chooseTunedKernels({ ...base, cache, now: clock.now, time: async () => 1 });
      expect(first.source).toBe('tuned');
      expect((await chooseTunedKernels({ ...base, cache: fileTuningCache(file), now: clock.now, time: async () => 1 })).source).toBe('cached');
      await writeFile(file, '{ half a fi');
      expect((await chooseTunedKernels({ ...base, cache, now: clock.now, time: async () => 1 })).source).toBe('tuned');
      const saved = JSON.parse(await readFile(file, 'utf8'));
      expect(Object.keys(saved.entries)).toEqual([tuningKey(lavapipe, shapes)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the products a run tunes for', () => {
  it('keeps each product of several models once, in first-seen order', () => {
    const a = denseMatmulShapes(100, [64, 25, 64], 256);
    const b = denseMatmulShapes(100, [64, 25, 10], 256);
    const union = uniqueShapes([...a, ...b]);
    expect(union.slice(0, a.length)).toEqual(a);
    // b's first layer is a's: only its second layer's three products are new.
    expect(union).toHaveLength(a.length + 3);
    expect(uniqueShapes([...a, ...a])).toEqual(a);
  });

  it('classify: one list for all stages, the softmax layer without the bias epilogue', () => {
    const ae = { visibleSize: 784, hiddenSize: 200 };
    const models = [
      { name: 'ae', kind: 'autoencoder' as const, autoencoder: ae, thetaLength: 0, examples: 3000, width: 784 },
      { name: 'softmax', kind: 'softmax' as const, classifier: { inputSize: 200, hiddenSizes: [], numClasses: 10 }, thetaLength: 0, examples: 2500, width: 200 },
      { name: 'stack', kind: 'finetune' as const, classifier: { inputSize: 784, hiddenSizes: [200], numClasses: 10 }, thetaLength: 0, examples: 2500, width: 784 },
    ];
    const shapes = stageMatmulShapes(models, 256);
    expect(shapes.slice(0, 5)).toEqual(denseMatmulShapes(3000, [784, 200, 784], 256));
    expect(shapes[5]).toEqual({ M: 2500, N: 12, K: 200, layout: 'NN' }); // the logits: no bias
    // The stack: its hidden layer (NN+b, TN), the logits (NN, TN, NT); the softmax stage's products are the stack's top ones.
    expect(shapes.filter((s) => s.M === 2500 && s.layout === 'NN')).toEqual([{ M: 2500, N: 12, K: 200, layout: 'NN' }, { M: 2500, N: 200, K: 784, layout: 'NN', bias: true }]);
    expect(shapes).toHaveLength(5 + 2 + 3);
  });

  it('the commands tune unless --no-tune or SAE_NO_TUNE=1, for SAE_TUNE_BUDGET_MS when given', () => {
    expect(nodeTuneOptions(true, {})).toMatchObject({ off: false });
    expect(nodeTuneOptions(true, {}).budgetMs).toBeUndefined();
    expect(nodeTuneOptions(false, {}).off).toBe(true);
    expect(nodeTuneOptions(true, { SAE_NO_TUNE: '1' }).off).toBe(true);
    expect(nodeTuneOptions(true, { SAE_TUNE_BUDGET_MS: '1' }).budgetMs).toBe(1);
    expect(nodeTuneOptions(true, { SAE_TUNE_BUDGET_MS: 'soon' }).budgetMs).toBeUndefined();
  });
});
