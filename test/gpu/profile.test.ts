/**
 * The per-kernel profile (src/gpu/profile.ts): one row per step of the evaluation, timed by
 * timestamp queries where the device has them and by a submission per step where it does not;
 * and the profiled evaluation is a real one (its gradient is the model's ordinary evaluation's).
 */
import { describe, expect, it } from 'vitest';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import type { GpuContext } from '../../src/gpu/device';
import { formatProfile, medianProfile, profileEvaluation, type Profile } from '../../src/gpu/profile';
import { useGpuContext } from './context';

const gpu = useGpuContext();

/** The same context with a device that says it has no timestamp queries. */
function withoutTimestamps(ctx: GpuContext): GpuContext {
  const device = new Proxy(ctx.device, {
    get(target, prop) {
      if (prop === 'features') return new Set([...target.features].filter((f) => f !== 'timestamp-query'));
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...ctx, device } as GpuContext;
}

describe('per-kernel profile', () => {
  const shape = { visibleSize: 8, hiddenSize: 3 };
  const m = 64;
  const { data, theta } = makeFixture(m, shape.visibleSize, shape.hiddenSize, 3);

  for (const clock of ['timestamp-query', 'wall clock per submission'] as const) {
    it(`one row per dispatch of the evaluation, in order (${clock})`, async () => {
      const ctx = clock === 'timestamp-query' ? gpu() : withoutTimestamps(gpu());
      if (clock === 'timestamp-query') expect(ctx.device.features.has('timestamp-query'), 'lavapipe and SwiftShader offer timestamp queries').toBe(true);
      const model = await GpuSparseAutoencoder.create(gpu(), shape, DEFAULT_HYPERPARAMETERS, { data, examples: m, visibleSize: 8 }, { theta });
      try {
        await model.evaluate();
        const expected = await model.readGradient();
        const profile = await profileEvaluation(ctx, model);
        expect(profile.clock).toBe(clock);
        expect(profile.steps.map((s) => s.name)).toEqual(model.programs.map((p) => p.name));
        for (const step of profile.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
        expect(profile.steps.reduce((s, k) => s + k.ms, 0)).toBeGreaterThan(0);
        expect(Array.from(await model.readGradient())).toEqual(Array.from(expected));
      } finally {
        model.destroy();
      }
    });
  }

  it('medianProfile takes each step’s median; formatProfile names the clock and the total', () => {
    const profile = (ms: number[]): Profile => ({ clock: 'timestamp-query', steps: ms.map((t, i) => ({ index: i, name: `k${i}`, dispatch: [1, 1, 1], ms: t })) });
    const median = medianProfile([profile([1, 10]), profile([3, 30]), profile([2, 20])]);
    expect(median.steps.map((s) => s.ms)).toEqual([2, 20]);
    const text = formatProfile(median);
    expect(text).toMatch(/timestamp-query/);
    expect(text).toMatch(/total\s+22\.00 ms/);
    expect(() => medianProfile([])).toThrow(RangeError);
  });
});
