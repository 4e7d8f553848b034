/**
 * The training loop's budget of GPU work, which is deterministic and so can be held: counted
 * here independently of the project's own counters (src/gpu/counters.ts), by wrapping the
 * WebGPU classes' prototypes before any device exists, and compared with what runs report.
 *
 * - L-BFGS in steady state (a full memory of DEFAULT_CORRECTIONS pairs): one read-back and one submission per
 *   evaluation; per iteration, the model's 10 dispatches per evaluation (17 step by step; the
 *   fused matmul epilogues of src/gpu/layers.ts carry the output delta, the hidden delta and the
 *   column sums of a⁽²⁾, five second-level reductions run as one, W1 and W2 are padded in one)
 *   plus at most 3 of the optimizer's per evaluation and one more per iteration: 14 for the
 *   usual single evaluation, whatever the number of pairs; timestamps on one evaluation in
 *   TIMED_EVERY.
 * - First-order methods: one read-back per progress report.
 */
import { globals } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createNodeGpuContext } from '../../src/gpu/node';
import { TIMED_EVERY } from '../../src/gpu/lbfgs';
import { DEFAULT_CORRECTIONS, minimizeLbfgs } from '../../src/optim/lbfgs';
import { Random } from '../../src/random';
import { initializeParameters, type Shape } from '../../src/reference/params';
import { defaultLearningRates, presets, type TrainConfig } from '../../src/train/config';
import { createGpuTrainingEngine } from '../../src/train/gpu-engine';
import { train } from '../../src/train/trainer';

const MODEL_DISPATCHES = 10;

/** Counts made by wrapping the classes themselves, below anything the project does. */
const seen = { submissions: 0, dispatches: 0, readBacks: 0, timestampResolves: 0 };
function wrapPrototype<T extends object>(proto: T, name: keyof T & string, count: () => void): void {
  const original = proto[name] as unknown as (...args: unknown[]) => unknown;
  Object.defineProperty(proto, name, {
    configurable: true,
    writable: true,
    value(this: unknown, ...args: unknown[]) {
      count();
      return original.apply(this, args);
    },
  });
}

let ctx: GpuContext;
beforeAll(async () => {
  const g = globals as unknown as Record<string, { prototype: object }>;
  wrapPrototype(g.GPUQueue.prototype as GPUQueue, 'submit', () => seen.submissions++);
  wrapPrototype(g.GPUComputePassEncoder.prototype as GPUComputePassEncoder, 'dispatchWorkgroups', () => seen.dispatches++);
  wrapPrototype(g.GPUBuffer.prototype as GPUBuffer, 'mapAsync', () => seen.readBacks++);
  wrapPrototype(g.GPUCommandEncoder.prototype as GPUCommandEncoder, 'resolveQuerySet', () => seen.timestampResolves++);
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

const shape: Shape = { visibleSize: 8, hiddenSize: 3 };

function patches(examples: number): { data: Float64Array; examples: number; visibleSize: number } {
  const rng = new Random(11);
  return { data: Float64Array.from({ length: examples * 8 }, () => 0.1 + 0.8 * rng.uniform()), examples, visibleSize: 8 };
}

describe('GPU work per iteration', () => {
  it('runs give back every buffer they made', async () => {
    const before = { ...ctx.counters };
    for (const optimizer of ['lbfgs', 'adam'] as const) {
      const config: TrainConfig = { ...presets['ufldl-natural'], preset: 'custom', hiddenSize: 3, optimizer, iterations: 40, batchSize: 10, learningRate: defaultLearningRates[optimizer] };
      const engine = await createGpuTrainingEngine(ctx, shape, config, patches(50));
      await train(engine, { config, initialTheta: initializeParameters(shape, 4), checkpointEvery: 10, onCheckpoint: () => {} });
      engine.destroy();
    }
    const made = ctx.counters.buffersCreated - before.buffersCreated;
    expect(made).toBeGreaterThan(20);
    expect(ctx.counters.buffersDestroyed - before.buffersDestroyed).toBe(made);
  });

  it('the counters at the device agree with the classes’ own', async () => {
    const before = { ...seen };
    const mine = { ...ctx.counters };
    const engine = await createGpuTrainingEngine(ctx, shape, presets['ufldl-natural'], patches(50));
    const config: TrainConfig = { ...presets['ufldl-natural'], preset: 'custom', hiddenSize: 3, iterations: 5 };
    await train(engine, { config, initialTheta: initializeParameters(shape, 1) });
    engine.destroy();
    expect(seen.submissions - before.submissions).toBe(ctx.counters.submissions - mine.submissions);
    expect(seen.dispatches - before.dispatches).toBe(ctx.counters.dispatches - mine.dispatches);
    expect(seen.readBacks - before.readBacks).toBe(ctx.counters.readBacks - mine.readBacks);
    expect(seen.readBacks - before.readBacks).toBeGreaterThan(5);
  });

  it(`L-BFGS at k = ${DEFAULT_CORRECTIONS} pairs (the trainer's): one read-back per evaluation, ${MODEL_DISPATCHES} + 3 dispatches per evaluation + 1, nothing allocated`, async () => {
    const engine = await createGpuTrainingEngine(ctx, shape, presets['ufldl-natural'], patches(40));
    const backend = await engine.lbfgs(DEFAULT_CORRECTIONS);
    const steady: { evaluations: number; submissions: number; dispatches: number; readBacks: number; resolves: number; made: number }[] = [];
    let last = { ...seen };
    let made = ctx.counters.buffersCreated + ctx.counters.bindGroupsCreated;
    let lastEvaluations = 1;
    let pairs = 0;
    const accept = backend.accept.bind(backend);
    backend.accept = (trial, pair) => {
      if (pair) pairs = Math.min(DEFAULT_CORRECTIONS, pairs + 1);
      accept(trial, pair);
    };
    const result = await minimizeLbfgs(backend, initializeParameters(shape, 2), {
      maxIterations: DEFAULT_CORRECTIONS + 30,
      optimalityTolerance: 0,
      progressTolerance: 0,
      onIteration: (info) => {
        const now = { ...seen };
        if (pairs === DEFAULT_CORRECTIONS) {
          steady.push({
            evaluations: info.evaluations - lastEvaluations,
            submissions: now.submissions - last.submissions,
            dispatches: now.dispatches - last.dispatches,
            readBacks: now.readBacks - last.readBacks,
            resolves: now.timestampResolves - last.timestampResolves,
            made: ctx.counters.buffersCreated + ctx.counters.bindGroupsCreated - made,
          });
        }
        last = now;
        made = ctx.counters.buffersCreated + ctx.counters.bindGroupsCreated;
        lastEvaluations = info.evaluations;
      },
    });
    engine.destroy();
    expect(result.iterations, result.exitReason).toBeGreaterThan(110);
    expect(steady.length).toBeGreaterThan(10);
    for (const it of steady) {
      expect(it.readBacks).toBeLessThanOrEqual(it.evaluations);
      expect(it.submissions).toBeLessThanOrEqual(it.evaluations);
      expect(it.dispatches).toBeLessThanOrEqual((MODEL_DISPATCHES + 3) * it.evaluations + 1);
      if (it.evaluations === 1) expect(it.dispatches).toBeLessThanOrEqual(MODEL_DISPATCHES + 3 + 1);
      expect(it.made).toBe(0); // no buffer, no bind group: a long run stays flat
    }
    // One evaluation in TIMED_EVERY is timed (lavapipe has timestamp queries): they cost ~0.5 ms a pass.
    const evaluations = steady.reduce((sum, it) => sum + it.evaluations, 0);
    const resolves = steady.reduce((sum, it) => sum + it.resolves, 0);
    expect(resolves).toBeGreaterThan(0);
    expect(resolves).toBeLessThanOrEqual(Math.ceil(evaluations / TIMED_EVERY));
  });

  for (const optimizer of ['gd', 'sgd', 'adam'] as const) {
    it(`${optimizer}: one read-back per progress report, many steps per submission`, async () => {
      const config: TrainConfig = {
        ...presets['ufldl-natural'],
        preset: 'custom',
        hiddenSize: 3,
        optimizer,
        iterations: 300,
        batchSize: 10,
        learningRate: defaultLearningRates[optimizer],
      };
      const engine = await createGpuTrainingEngine(ctx, shape, config, patches(100));
      const reports: { readBacks: number; submissions: number; steps: number }[] = [];
      let last = { ...seen };
      let lastIteration = 0;
      await train(engine, {
        config,
        initialTheta: initializeParameters(shape, 3),
        onProgress: (p) => {
          const now = { ...seen };
          reports.push({ readBacks: now.readBacks - last.readBacks, submissions: now.submissions - last.submissions, steps: p.iteration - lastIteration });
          last = now;
          lastIteration = p.iteration;
        },
      });
      engine.destroy();
      // After the first report (which includes setting up), each report cost one read-back.
      for (const r of reports.slice(1)) {
        expect(r.readBacks).toBe(1);
        expect(r.submissions).toBe(1);
      }
      expect(Math.max(...reports.map((r) => r.steps))).toBeGreaterThan(4);
    });
  }
});
