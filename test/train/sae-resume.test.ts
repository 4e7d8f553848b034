/**
 * SAE runs stopped and resumed (src/train/sae-trainer.ts, src/train/sae-checkpoint.ts): a run
 * stopped between groups, its state written to a checkpoint file and read back, goes on to the
 * same θ, moments, counters, threshold and history, bit for bit, as the run never stopped: on the
 * float64 twin and on the GPU. Small: 16 dimensions, 32 latents, batches of 32, 20–60 steps in
 * groups of 5 (TopK's per-row selection is slow on lavapipe, so TopK runs on the twin only; the
 * GPU runs BatchTopK with AuxK and ReLU-L1 stopped inside its λ warm-up).
 */
import { describe, expect, it } from 'vitest';
import { generateSuperposition } from '../../src/data/superposition';
import { dataFingerprint, decodeSaeCheckpoint, encodeSaeCheckpoint } from '../../src/train/sae-checkpoint';
import { defaultSaeSettings, lambdaAt, trainSae, type SaeRunState, type SaeTrainSettings } from '../../src/train/sae-trainer';
import { CheckpointError } from '../../src/io/container';
import { useGpuContext } from '../gpu/context';

const gpu = useGpuContext();

const DIMENSIONS = 16;
const dataset = generateSuperposition({ features: 48, dimensions: DIMENSIONS, examples: 1024, activePerExample: 3, seed: 5 }).dataset;

function settings(overrides: Partial<SaeTrainSettings> & Pick<SaeTrainSettings, 'variant'>): SaeTrainSettings {
  // deadAfter 64: latents go dead (and AuxK starts) within the run.
  return defaultSaeSettings(overrides.variant, DIMENSIONS, dataset.examples, { latents: 32, k: 2, learningRate: 0.01, batchSize: 32, steps: 40, stepsPerReport: 5, deadAfter: 64, ...overrides });
}

/** The run straight through, and the same run stopped after `stopAt` steps, saved, read back and resumed. */
async function stopAndResume(where: 'cpu' | 'gpu', s: SaeTrainSettings, stopAt: number) {
  const on = () => (where === 'cpu' ? ('cpu' as const) : { ctx: gpu() });
  let whole: SaeRunState | undefined;
  const straight = await trainSae(on(), dataset, s, { onCheckpoint: async (state) => void (whole = state) });
  const controller = new AbortController();
  let saved: SaeRunState | undefined;
  const stopped = await trainSae(on(), dataset, s, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.step >= stopAt) controller.abort();
    },
    onCheckpoint: async (state) => void (saved = state),
  });
  expect(stopped.exitReason).toBe('cancelled');
  expect(saved!.step).toBe(stopAt);
  const file = encodeSaeCheckpoint({ settings: s, shape: { inputs: DIMENSIONS, latents: s.latents }, examples: dataset.examples, dataHash: dataFingerprint(dataset.data), data: 'test data', state: saved! });
  const read = decodeSaeCheckpoint(file, 'checkpoint.bin');
  expect(read.settings).toEqual(s);
  let resumedEnd: SaeRunState | undefined;
  const resumed = await trainSae(on(), dataset, read.settings, { resumeFrom: read.state, onCheckpoint: async (state) => void (resumedEnd = state) });
  return { straight, whole: whole!, saved: saved!, resumed, resumedEnd: resumedEnd! };
}

function expectSameRun(r: Awaited<ReturnType<typeof stopAndResume>>) {
  expect(r.resumed.exitReason).toBe('max-iterations');
  expect(r.resumed.steps).toBe(r.straight.steps);
  // Bit for bit: toEqual on typed arrays compares every element with Object.is.
  expect(r.resumed.theta).toEqual(r.straight.theta);
  expect(r.resumedEnd.m).toEqual(r.whole.m);
  expect(r.resumedEnd.v).toEqual(r.whole.v);
  expect(r.resumedEnd.sinceFired).toEqual(r.whole.sinceFired);
  expect(r.resumed.threshold).toBe(r.straight.threshold);
  expect(r.resumed.history).toEqual(r.straight.history);
  // The stop was a real one: θ had further to go.
  expect(r.saved.theta).not.toEqual(r.straight.theta);
}

describe('an SAE run resumed from its checkpoint ends where the run never stopped did', () => {
  it('float64 twin: TopK with AuxK, stopped after 20 of 40 steps with dead latents flagged', async () => {
    const r = await stopAndResume('cpu', settings({ variant: 'topk', auxK: 4 }), 20);
    expect(r.saved.sinceFired.some((n) => n >= 64)).toBe(true);
    expectSameRun(r);
  });

  it('float64 twin: BatchTopK with AuxK, its running threshold carried over', async () => {
    const r = await stopAndResume('cpu', settings({ variant: 'batchtopk', auxK: 4 }), 15);
    expect(r.saved.threshold).toBeGreaterThan(0);
    expectSameRun(r);
  });

  it('GPU: BatchTopK with AuxK (dead latents, threshold), stopped after 10 of 20 steps', async () => {
    const r = await stopAndResume('gpu', settings({ variant: 'batchtopk', auxK: 4, steps: 20 }), 10);
    expect(r.saved.threshold).toBeGreaterThan(0);
    expect(r.saved.sinceFired.some((n) => n >= 64)).toBe(true);
    expectSameRun(r);
  }, 60_000);

  it('GPU: ReLU-L1 stopped inside its λ warm-up', async () => {
    const s = settings({ variant: 'relu-l1', l1: 0.3, steps: 60, stepsPerReport: 20 });
    // The warm-up is 3 steps in groups of 1: stopped after 1, λ is still rising.
    expect(lambdaAt(1, s)).toBeLessThan(s.l1);
    expectSameRun(await stopAndResume('gpu', s, 1));
  }, 60_000);
});

describe('the SAE checkpoint file', () => {
  it('refuses a truncated file and another kind of file with a CheckpointError naming it', async () => {
    const s = settings({ variant: 'batchtopk', steps: 5 });
    let saved: SaeRunState | undefined;
    await trainSae('cpu', dataset, s, { onCheckpoint: async (state) => void (saved = state) });
    const file = encodeSaeCheckpoint({ settings: s, shape: { inputs: DIMENSIONS, latents: 32 }, examples: dataset.examples, dataHash: dataFingerprint(dataset.data), data: 'test data', state: saved! });
    expect(() => decodeSaeCheckpoint(file.subarray(0, file.length - 8), 'x.bin')).toThrow(CheckpointError);
    expect(() => decodeSaeCheckpoint(file.subarray(0, file.length - 8), 'x.bin')).toThrow(/^x\.bin: truncated/);
    const other = Uint8Array.from(file);
    other.set(new TextEncoder().encode('SAE-CKPT'), 0);
    expect(() => decodeSaeCheckpoint(other, 'y.bin')).toThrow(/y\.bin: not an SAE checkpoint file/);
  });

  it('fingerprints the data in their order: a reshuffle or one changed value is other data', () => {
    const a = dataFingerprint(dataset.data);
    const changed = Float64Array.from(dataset.data);
    changed[100] += 1e-9;
    expect(dataFingerprint(changed)).not.toBe(a);
    const swapped = Float64Array.from(dataset.data);
    [swapped[0], swapped[DIMENSIONS]] = [swapped[DIMENSIONS], swapped[0]];
    expect(dataFingerprint(swapped)).not.toBe(a);
    expect(dataFingerprint(Float64Array.from(dataset.data))).toBe(a);
  });
});
