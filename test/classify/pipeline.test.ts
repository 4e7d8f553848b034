/**
 * The classification pipelines at reduced sizes on the embedded digits: accuracy far above
 * chance on GPU and CPU, GPU and CPU close, and a run stopped inside any stage resumes from its
 * checkpoint to the very result of an uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { decodeClassifyCheckpoint, encodeClassifyCheckpoint } from '../../src/classify/checkpoint';
import { cpuCompute, type ClassifyCompute } from '../../src/classify/compute';
import { embeddedTaskData } from '../../src/classify/data';
import { gpuCompute } from '../../src/classify/gpu-compute';
import { defaultSettings, runClassification, stagesOf, type ClassifyCheckpoint, type ClassifySettings, type TaskName } from '../../src/classify/pipeline';
import { loadMnistDigits } from '../../src/data/mnist-node';
import { CheckpointError } from '../../src/train/checkpoint';
import { useGpuContext } from '../gpu/context';

const gpu = useGpuContext();
const digits = await loadMnistDigits();

const small = (task: TaskName): ClassifySettings => ({
  ...defaultSettings,
  task,
  hiddenSize: 36,
  autoencoderIterations: 30,
  softmaxIterations: 50,
  finetuneIterations: 30,
});

describe('accuracy at reduced sizes (1,000 digits)', () => {
  it('softmax regression on raw pixels: GPU and CPU both far above chance and within 2 points', async () => {
    const data = embeddedTaskData(digits, 'softmax', 1, 1000);
    const onGpu = await runClassification(gpuCompute(gpu()), data, small('softmax'));
    const onCpu = await runClassification(cpuCompute(), data, small('softmax'));
    expect(onGpu.accuracies['raw pixels']).toBeGreaterThan(0.75);
    expect(onCpu.accuracies['raw pixels']).toBeGreaterThan(0.75);
    expect(Math.abs(onGpu.accuracies['raw pixels'] - onCpu.accuracies['raw pixels'])).toBeLessThanOrEqual(0.02);
    expect(onGpu.confusion.flat().reduce((a, b) => a + b, 0)).toBe(data.test.examples);
  });

  it('self-taught learning: features of digits 5–9 classify digits 0–4', async () => {
    const data = embeddedTaskData(digits, 'stl', 1, 1000);
    const result = await runClassification(gpuCompute(gpu()), data, small('stl'));
    expect(result.stages.map((s) => s.name)).toEqual(stagesOf(small('stl')).map((s) => s.name));
    expect(result.accuracies['self-taught features']).toBeGreaterThan(0.6);
    expect(result.accuracies['raw pixels']).toBeGreaterThan(0.6);
    // The final classifier is the autoencoder's layer and the softmax as one network.
    expect(result.classifier.shape).toEqual({ inputSize: 784, hiddenSizes: [36], numClasses: 5 });
    const final = result.predictions.filter((p, i) => p === data.test.labels[i]).length / data.test.examples;
    expect(final).toBeCloseTo(result.accuracies['self-taught features'], 10);
  });

  it('stacked autoencoder: fine-tuning lowers the cost and beats the greedy stack', async () => {
    const data = embeddedTaskData(digits, 'stacked', 1, 1000);
    const result = await runClassification(gpuCompute(gpu()), data, small('stacked'));
    const finetune = result.stages[3];
    expect(finetune.finalCost).toBeLessThan(finetune.initialCost);
    expect(result.accuracies['after fine-tuning']).toBeGreaterThan(0.6);
    expect(result.accuracies['after fine-tuning']).toBeGreaterThan(result.accuracies['before fine-tuning']);
  });
});

describe('stop and resume', () => {
  const tiny: ClassifySettings = { ...defaultSettings, task: 'stacked', hiddenSize: 16, autoencoderIterations: 12, softmaxIterations: 15, finetuneIterations: 12 };
  const data = embeddedTaskData(digits, 'stacked', 3, 300);

  /** Runs to the end, stopping once at (stage, iteration) and resuming from the checkpoint file's bytes. */
  async function stoppedAndResumed(compute: ClassifyCompute, stage: number, iteration: number) {
    const controller = new AbortController();
    let saved: Uint8Array | undefined;
    const first = await runClassification(compute, data, tiny, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.index === stage && p.iteration === iteration) controller.abort();
      },
      onCheckpoint: (c) => void (saved = encodeClassifyCheckpoint(c)),
    });
    expect(first.cancelled).toBe(true);
    const checkpoint = decodeClassifyCheckpoint(saved!);
    expect(checkpoint.completed.length).toBe(stage);
    expect(checkpoint.current?.name).toBe(stagesOf(tiny)[stage].name);
    return runClassification(compute, data, tiny, { resumeFrom: checkpoint });
  }

  for (const device of ['cpu', 'gpu'] as const) {
    it(`${device}: a stop inside an autoencoder stage and inside fine-tuning resume to the uninterrupted result`, async () => {
      const compute = () => (device === 'gpu' ? gpuCompute(gpu()) : cpuCompute());
      const whole = await runClassification(compute(), data, tiny);
      for (const [stage, iteration] of [
        [1, 5],
        [3, 4],
      ]) {
        const resumed = await stoppedAndResumed(compute(), stage, iteration);
        expect(resumed.cancelled).toBe(false);
        expect(resumed.accuracies).toEqual(whole.accuracies);
        expect(Array.from(resumed.classifier.theta)).toEqual(Array.from(whole.classifier.theta));
        expect(resumed.stages.map((s) => s.iterations)).toEqual(whole.stages.map((s) => s.iterations));
      }
    });
  }
});

describe('classification checkpoint file', () => {
  const checkpoint: ClassifyCheckpoint = {
    settings: { ...defaultSettings, task: 'stl' },
    completed: [{ name: 'a', kind: 'autoencoder', theta: Float64Array.of(1, -2.5, Math.PI), iterations: 3, evaluations: 4, initialCost: 9, finalCost: 1, seconds: 2, exitReason: 'max-iterations' }],
    current: { name: 'b', kind: 'softmax', state: Uint8Array.of(1, 2, 3, 4, 5), seconds: 1.5 },
  };

  it('round-trips exactly', () => {
    const decoded = decodeClassifyCheckpoint(encodeClassifyCheckpoint(checkpoint));
    expect(decoded.settings).toEqual(checkpoint.settings);
    expect(Array.from(decoded.completed[0].theta)).toEqual(Array.from(checkpoint.completed[0].theta));
    expect(Array.from(decoded.current!.state)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses other files, truncation and non-finite θ with a CheckpointError naming the file', () => {
    const bytes = encodeClassifyCheckpoint(checkpoint);
    expect(() => decodeClassifyCheckpoint(new TextEncoder().encode('SAECKPT1xxxx'), 'ck.bin')).toThrow(/ck.bin: not a classification checkpoint/);
    expect(() => decodeClassifyCheckpoint(bytes.subarray(0, bytes.length - 16), 'ck.bin')).toThrow(CheckpointError);
    const bad = { ...checkpoint, completed: [{ ...checkpoint.completed[0], theta: Float64Array.of(NaN) }] };
    expect(() => decodeClassifyCheckpoint(encodeClassifyCheckpoint(bad), 'ck.bin')).toThrow(/non-finite/);
  });
});
