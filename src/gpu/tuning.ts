/**
 * The tuner (./tuner.ts) on a real device: each candidate is checked against the float64 twin
 * on small products of every layout (./checks.ts checkMatmul), then timed on the model's own
 * products by submitting k passes over them and awaiting onSubmittedWorkDone, the median of a
 * few submissions. Browser-safe; the caches are the environment's (./tuning-node.ts, the pages').
 */
import type { KernelConfig } from './adapter';
import { checkMatmul, type MatmulLayout } from './checks';
import type { GpuContext } from './device';
import { withErrorScopes } from './errors';
import { matmulProgram, type KernelProgram } from './programs';
import { bindStep, createStorageBuffer, encodeStep, type BoundStep } from './runtime';
import { chooseTunedKernels, tableChoice, tuningCandidates, type KernelChoice, type MatmulShape, type TuningCache } from './tuner';

export interface TuneContextOptions {
  cache?: TuningCache;
  budgetMs?: number;
  /** Races on at most this many rows of the products' M or K (default: the model's own). */
  maxRows?: number;
  /** Tuning off: the table's choice, said so. */
  off?: boolean;
  now?(): number;
}

/** The quick check: one small product per layout the model uses, sized to cross several tiles and leave ragged edges. */
const CHECKS: ReadonlyArray<{ layout: MatmulLayout; M: number; N: number; K: number; activation?: 'sigmoid' }> = [
  { layout: 'NN', M: 70, N: 37, K: 45, activation: 'sigmoid' },
  { layout: 'NT', M: 70, N: 45, K: 37 },
  { layout: 'TN', M: 45, N: 37, K: 70 },
];

export async function checkKernels(ctx: GpuContext, config: KernelConfig): Promise<boolean> {
  for (const spec of CHECKS) {
    const result = await checkMatmul(ctx, { ...spec, config, seed: 3 });
    if (!result.pass) return false;
  }
  return true;
}

/** The products at most `maxRows` long in the data's dimension (M of NN/NT, K of TN), and within one storage binding. */
export function racedShapes(ctx: GpuContext, shapes: readonly MatmulShape[], maxRows = Infinity): MatmulShape[] {
  const maxBinding = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
  const widest = Math.max(...shapes.map((s) => (s.layout === 'TN' ? Math.max(s.M, s.N) : Math.max(s.K, s.N))));
  const rows = Math.max(4, Math.min(maxRows, Math.floor(maxBinding / (widest * 4 * 4)) * 4));
  return shapes.map((s) => (s.layout === 'TN' ? { ...s, K: Math.min(s.K, rows) } : { ...s, M: Math.min(s.M, rows) }));
}

/** The programs a candidate is timed with (the quick check's products use the same pipelines: the dimensions are uniforms). */
export function racePrograms(shapes: readonly MatmulShape[], config: KernelConfig): (KernelProgram & { slices: number })[] {
  return shapes.map((s) =>
    matmulProgram(
      { M: s.M, N: s.N, K: s.K, transA: s.layout === 'TN', transB: s.layout === 'NT', kChunk: s.kChunk, ...(s.bias ? { activation: 'sigmoid' as const, nValid: s.N } : {}) },
      config.matmul,
      config.subgroupSize,
      config.tiling,
    ),
  );
}

/**
 * What a fresh machine's race dispatches first: the first guess's programs, for a run's warm-up
 * (./warm-up.ts) to compile ahead of the race. None when tuning is off or the adapter's limits
 * leave no candidate.
 */
export function firstGuessPrograms(ctx: GpuContext, shapes: readonly MatmulShape[], options: Pick<TuneContextOptions, 'off'> = {}): KernelProgram[] {
  if (options.off) return [];
  const [guess] = tuningCandidates(ctx.adapterInfo, ctx.device.limits);
  return guess ? racePrograms(shapes, guess) : [];
}

/** Milliseconds per pass over `shapes` with `config`'s kernels: k passes a submission, the median of up to `reps` submissions before `deadline`. */
export async function timeKernels(ctx: GpuContext, config: KernelConfig, shapes: readonly MatmulShape[], deadline: number, now: () => number, reps = 3): Promise<number> {
  const device = ctx.device;
  const programs = racePrograms(shapes, config);
  const floats = (n: number) => Math.max(4, n);
  const aFloats = Math.max(...shapes.map((s) => floats(s.M * s.K)));
  const bFloats = Math.max(...shapes.map((s) => floats(s.K * s.N)));
  const cFloats = Math.max(...shapes.map((s, i) => floats(s.M * s.N * programs[i].slices)));
  const buffers = [createStorageBuffer(device, aFloats * 4, 'tuning A'), createStorageBuffer(device, bFloats * 4, 'tuning B'), createStorageBuffer(device, cFloats * 4, 'tuning C'), createStorageBuffer(device, Math.max(...shapes.map((s) => s.N)) * 4, 'tuning bias')];
  const steps: BoundStep[] = [];
  try {
    await withErrorScopes(device, `tuning ${programs[0].name}`, async () => {
      for (const program of programs) steps.push(await bindStep(ctx, program, { a: buffers[0], b: buffers[1], c: buffers[2], bias: buffers[3] }));
    });
    const submit = async (passes: number): Promise<number> => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let k = 0; k < passes; k++) for (const step of steps) encodeStep(pass, step);
      pass.end();
      const t0 = now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      ctx.assertAlive();
      return now() - t0;
    };
    // The warm-up, and how many passes make a submission long enough (≥ 2 ms) that its round trip does not dominate.
    const first = await submit(1);
    const passes = Math.min(64, Math.max(1, Math.ceil(2 / Math.max(first, 1e-3))));
    const samples: number[] = [];
    do samples.push((await submit(passes)) / passes);
    while (samples.length < reps && now() < deadline);
    samples.sort((x, y) => x - y);
    return samples[Math.floor((samples.length - 1) / 2)];
  } finally {
    for (const step of steps) step.uniformBuffer.destroy();
    for (const buffer of buffers) buffer.destroy();
  }
}

/**
 * Chooses the kernels for a model of these products on this context and sets ctx.kernels (models
 * made afterwards run them). Tuning off, or a device without the limits to read: the table's choice.
 */
export async function tuneContext(ctx: GpuContext, shapes: readonly MatmulShape[], options: TuneContextOptions = {}): Promise<KernelChoice> {
  if (options.off) {
    ctx.kernels = tableChoice(ctx.adapterInfo, 'tuning off');
    return ctx.kernels;
  }
  const now = options.now ?? (() => performance.now());
  const raced = racedShapes(ctx, shapes, options.maxRows);
  ctx.kernels = await chooseTunedKernels({
    info: ctx.adapterInfo,
    limits: ctx.device.limits,
    shapes,
    cache: options.cache,
    budgetMs: options.budgetMs,
    now,
    check: (config) => checkKernels(ctx, config),
    time: (config, deadline) => timeKernels(ctx, config, raced, deadline, now),
    compiledAheadMs: () => ctx.raceCompileMs ?? 0,
  });
  return ctx.kernels;
}
