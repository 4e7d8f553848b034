/**
 * A long L-BFGS run stays flat: over 5,000 iterations on the GPU (the ring of 100 pairs wraps
 * fifty times) no buffer or bind group is made after the first iterations, and the process's
 * memory stops growing. The tolerances are set to zero so that only the iteration cap ends
 * the run; when minFunc's step-size test ends it (float32 can no longer resolve the decrease),
 * another run starts from a fresh θ on the same backend. LONG_RUN_ITERATIONS overrides the count.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createNodeGpuContext } from '../../src/gpu/node';
import { DEFAULT_CORRECTIONS, minimizeLbfgs } from '../../src/optim/lbfgs';
import { Random } from '../../src/random';
import { initializeParameters, type Shape } from '../../src/reference/params';
import { createGpuTrainingEngine } from '../../src/train/gpu-engine';

const ITERATIONS = Number(process.env.LONG_RUN_ITERATIONS ?? 5000);

/** A full garbage collection, so that the heap measured holds only what is still referenced. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

describe('5,000 L-BFGS iterations', () => {
  it('make no GPU object after warm-up and hold the process memory flat', { timeout: 600_000 }, async () => {
    // Reconstructing random data with 32 of 64 units, no decay and no sparsity term: a slow,
    // steady descent that float32 can follow for about 1,900 iterations a run.
    const shape: Shape = { visibleSize: 64, hiddenSize: 32 };
    const rng = new Random(4);
    const m = 500;
    const dataset = { data: Float64Array.from({ length: m * 64 }, () => 0.1 + 0.8 * rng.uniform()), examples: m, visibleSize: 64 };
    const engine = await createGpuTrainingEngine(ctx, shape, { sparsityParam: 0.05, lambda: 0, beta: 0 }, dataset);
    const backend = await engine.lbfgs(DEFAULT_CORRECTIONS);
    const samples: { iteration: number; buffers: number; bindGroups: number; heap: number; rss: number }[] = [];
    let done = 0;
    let x = initializeParameters(shape, 2);
    let runs = 0;
    try {
      while (done < ITERATIONS) {
        runs++;
        const result = await minimizeLbfgs(backend, x, {
          maxIterations: ITERATIONS - done,
          optimalityTolerance: 0,
          progressTolerance: 0,
          onIteration: (info) => {
            const iteration = done + info.iteration;
            if (iteration % 500 === 0) {
              collectGarbage();
              const memory = process.memoryUsage();
              samples.push({
                iteration,
                buffers: ctx.counters.buffersCreated - ctx.counters.buffersDestroyed,
                bindGroups: ctx.counters.bindGroupsCreated,
                heap: memory.heapUsed,
                rss: memory.rss,
              });
            }
          },
        });
        expect(result.iterations, `run ${runs} made no progress (${result.exitReason})`).toBeGreaterThan(0);
        done += result.iterations;
        // A converged run starts again from a fresh θ, on the same backend and its ring.
        x = initializeParameters(shape, 2 + runs);
      }
    } finally {
      backend.dispose();
      engine.destroy();
    }
    expect(done).toBe(ITERATIONS);
    expect(samples.length).toBe(ITERATIONS / 500);
    const [first] = samples;
    const last = samples[samples.length - 1];
    // GPU buffers: exactly flat from iteration 500 on. Bind groups: none per iteration; a new
    // run may meet the pair of x/trial buffers the other way round and make that pair's few.
    for (const s of samples) {
      expect(s.buffers, `live buffers at iteration ${s.iteration}`).toBe(first.buffers);
      expect(s.bindGroups - first.bindGroups, `bind groups made from iteration 500 to ${s.iteration}`).toBeLessThanOrEqual(32 * (runs - 1));
    }
    // Memory, measured after a full collection: what is still referenced after 4,500 more
    // iterations may grow by at most 1 MB (θ here is 2,176 values: keeping one array of them
    // per iteration would add 78 MB), and the process by at most 32 MB.
    expect(last.heap - first.heap, `heap growth from iteration 500 to ${ITERATIONS}`).toBeLessThan(2 ** 20);
    expect(last.rss - first.rss, `resident memory growth from iteration 500 to ${ITERATIONS}`).toBeLessThan(32 * 2 ** 20);
    console.log(`${ITERATIONS} iterations in ${runs} run(s); live buffers ${first.buffers}, bind groups ${first.bindGroups} → ${last.bindGroups}; heap ${(first.heap / 2 ** 20).toFixed(1)} → ${(last.heap / 2 ** 20).toFixed(1)} MiB, rss ${(first.rss / 2 ** 20).toFixed(0)} → ${(last.rss / 2 ** 20).toFixed(0)} MiB`);
  });
});
