import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random';
import { sparseAutoencoderCost, type Dataset } from '../../src/reference/autoencoder';
import { initializeParameters } from '../../src/reference/params';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { presets, type OptimizerName, type TrainConfig } from '../../src/train/config';
import { cpuEngine } from '../../src/train/engine';
import { batchForIteration, train } from '../../src/train/trainer';

const shape = { visibleSize: 16, hiddenSize: 4 };

function randomDataset(examples: number, seed: number): Dataset {
  const rng = new Random(seed);
  const data = new Float64Array(examples * shape.visibleSize).map(() => 0.1 + 0.8 * rng.uniform());
  return { data, examples, visibleSize: shape.visibleSize };
}

function configFor(optimizer: OptimizerName, iterations: number): TrainConfig {
  return {
    ...presets['ufldl-natural'],
    preset: 'custom',
    hiddenSize: shape.hiddenSize,
    sparsityParam: 0.1,
    optimizer,
    iterations,
    learningRate: optimizer === 'adam' ? 0.01 : 0.5,
    batchSize: 20,
  };
}

const dataset = randomDataset(100, 7);

describe('trainer on the float64 engine', () => {
  it('full-batch gradient descent takes exactly θ ← θ − α∇J', async () => {
    const config = configFor('gd', 1);
    const theta0 = initializeParameters(shape, 3);
    const result = await train(cpuEngine(shape, config, dataset), { config, initialTheta: theta0 });
    const { grad } = sparseAutoencoderCost(theta0, shape, config, dataset);
    const expected = theta0.map((t, i) => t - config.learningRate * grad[i]);
    expect(Array.from(result.theta)).toEqual(Array.from(expected));
    expect(result.iterations).toBe(1);
  });

  for (const optimizer of ['lbfgs', 'gd', 'sgd', 'adam'] as const) {
    it(`${optimizer}: lowers the cost, is reproducible, and reports progress`, async () => {
      const config = configFor(optimizer, 30);
      const theta0 = initializeParameters(shape, 3);
      const seen: number[] = [];
      const first = await train(cpuEngine(shape, config, dataset), {
        config,
        initialTheta: theta0,
        onProgress: (p) => void seen.push(p.iteration),
      });
      const second = await train(cpuEngine(shape, config, dataset), { config, initialTheta: theta0 });
      expect(first.finalCost).toBeLessThan(first.initialCost);
      expect(Array.from(second.theta)).toEqual(Array.from(first.theta));
      if (optimizer === 'lbfgs') {
        // The starting point, then every iteration.
        expect(seen).toEqual(Array.from({ length: first.iterations + 1 }, (_, i) => i));
      } else {
        // Steps come in groups with one read-back each: the first is θ₀'s one step, the last the run's end.
        expect(seen[0]).toBe(1);
        expect(seen.at(-1)).toBe(first.iterations);
        for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      }
      expect(first.parts.reconstruction + first.parts.weightDecay + first.parts.sparsity).toBeCloseTo(first.finalCost, 12);
      expect(first.meanActivation).toHaveLength(shape.hiddenSize);
    });

    it(`${optimizer}: cancelling leaves a checkpoint that resumes onto the same trajectory`, async () => {
      const config = configFor(optimizer, 24);
      const theta0 = initializeParameters(shape, 5);
      const whole = await train(cpuEngine(shape, config, dataset), { config, initialTheta: theta0 });

      const controller = new AbortController();
      let saved: Checkpoint | undefined;
      const stopped = await train(cpuEngine(shape, config, dataset), {
        config,
        initialTheta: theta0,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.iteration >= 10) controller.abort();
        },
        onCheckpoint: (c) => {
          saved = c;
        },
      });
      expect(stopped.cancelled).toBe(true);
      expect(stopped.iterations).toBeLessThan(config.iterations);
      expect(saved?.iteration).toBe(stopped.iterations);
      const restored = decodeCheckpoint(encodeCheckpoint(saved!));
      const resumed = await train(cpuEngine(shape, config, dataset), {
        config,
        initialTheta: theta0,
        resumeFrom: restored,
      });
      expect(resumed.iterations).toBe(whole.iterations);
      expect(Array.from(resumed.theta)).toEqual(Array.from(whole.theta));
    });
  }

  it('a diverging run stops at the last θ with a finite cost, with a checkpoint of it', async () => {
    // SGD at α = 20 on this problem: the sparsity term's log(ρ̂) overflows after a few steps.
    const config = { ...configFor('sgd', 300), learningRate: 20 };
    const theta0 = initializeParameters(shape, 3);
    let saved: Checkpoint | undefined;
    const result = await train(cpuEngine(shape, config, dataset), { config, initialTheta: theta0, onCheckpoint: (c) => void (saved = c) });
    expect(result.exitReason).toBe('non-finite');
    expect(result.divergedAt).toBe(result.iterations + 1);
    expect(Number.isFinite(result.finalCost)).toBe(true);
    // θ is exactly where a run of that many iterations ends, and so is the checkpoint.
    const short = await train(cpuEngine(shape, config, dataset), { config: { ...config, iterations: result.iterations }, initialTheta: theta0 });
    expect(Array.from(result.theta)).toEqual(Array.from(short.theta));
    expect(saved?.iteration).toBe(result.iterations);
    expect(Array.from(saved!.theta)).toEqual(Array.from(result.theta));
  });

  for (const optimizer of ['lbfgs', 'gd'] as const) {
    it(`${optimizer}: a stop before the first iteration leaves no checkpoint`, async () => {
      const config = configFor(optimizer, 20);
      const controller = new AbortController();
      controller.abort();
      let checkpoints = 0;
      const result = await train(cpuEngine(shape, config, dataset), {
        config,
        initialTheta: initializeParameters(shape, 3),
        signal: controller.signal,
        onCheckpoint: () => void checkpoints++,
      });
      expect(result.cancelled).toBe(true);
      expect(result.iterations).toBe(0);
      expect(checkpoints).toBe(0);
    });
  }

  it('iterations = 0 evaluates the cost only', async () => {
    const config = configFor('lbfgs', 0);
    const theta0 = initializeParameters(shape, 3);
    const result = await train(cpuEngine(shape, config, dataset), { config, initialTheta: theta0 });
    expect(Array.from(result.theta)).toEqual(Array.from(theta0));
    expect(result.finalCost).toBe(sparseAutoencoderCost(theta0, shape, config, dataset).cost);
    expect(result.initialCost).toBe(result.finalCost);
  });
});

describe('mini-batch schedule', () => {
  it('visits every batch once per epoch, in a seeded order', () => {
    const starts = (epoch: number, seed: number) =>
      Array.from({ length: 5 }, (_, i) => batchForIteration(epoch * 5 + i, 100, 20, seed).start);
    expect([...starts(0, 1)].sort((a, b) => a - b)).toEqual([0, 20, 40, 60, 80]);
    expect(starts(0, 1)).toEqual(starts(0, 1));
    expect(starts(1, 1)).not.toEqual(starts(0, 1));
    expect(batchForIteration(0, 7, 20, 1)).toEqual({ start: 0, count: 7 });
  });
});

describe('checkpoint files', () => {
  it('round-trip exactly and reject corrupt bytes', () => {
    const c: Checkpoint = {
      config: configFor('adam', 5),
      shape,
      iteration: 3,
      evaluations: 4,
      elapsedSeconds: 1.5,
      initialCost: 2,
      cost: 1,
      theta: new Float64Array([Math.PI, -0, 1e-300]),
      state: { m: new Float64Array([1, 2, 3]), v: new Float64Array([4, 5, 6]) },
      lbfgs: new Uint8Array([1, 2, 3, 4, 5]),
    };
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(back).toEqual(c);
    expect(() => decodeCheckpoint(new Uint8Array(10), 'x.ckpt')).toThrow(/x.ckpt: not a checkpoint/);
    expect(() => decodeCheckpoint(encodeCheckpoint(c).slice(0, 60), 'x.ckpt')).toThrow(/x.ckpt: (truncated|corrupt)/);
  });
});
