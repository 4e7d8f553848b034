/**
 * The SAE page's worker: reads the data (synthetic superposition with its true directions, or the
 * user's .npy / .safetensors file through the CLI's readers), trains with src/train/sae-trainer.ts
 * on the worker's WebGPU device (the float64 twin without one), and measures the model as it
 * goes: L0, FVU about the mean, dead latents, the density histogram and, where the directions are
 * known, MMCS, in float64 on a fixed sample of the data while training (at most a small share of
 * the time) and on all of it at the end. Nothing here touches the DOM.
 */
import { meanMaxCosineSimilarity, saeMetricsOf } from '../../analysis/sae-metrics';
import { readActivations } from '../../data/activations';
import { messageOf } from '../../data/errors';
import { generateSuperposition } from '../../data/superposition';
import type { GpuContext } from '../../gpu/device';
import type { Dataset } from '../../reference/autoencoder';
import { saeLayout, type SaeShape } from '../../reference/sae';
import { shuffleExamples } from '../../train/data';
import {
  checkSaeSettings,
  cpuSaeBackend,
  defaultSaeSettings,
  gpuSaeBackend,
  initialSaeTheta,
  runSae,
  saeForward,
  type SaeBackend,
  type SaeModel,
  type SaeTrainSettings,
} from '../../train/sae-trainer';
import { createGpuContext, GpuUnavailableError } from '../common/gpu-modules';
import type { ActivationFile, FromWorker, SaeSettings, SaeSnapshot, ToWorker } from './protocol';

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

/** Examples the live metrics are measured on while training. */
export const LIVE_SAMPLE = 2048;
/** Snapshots at most this often (ms)… */
const MIN_SNAPSHOT_INTERVAL = 400;
/** …and at most about this share of the training time. */
const SNAPSHOT_BUDGET = 0.15;
/** Decoder directions drawn. */
const COLUMNS_SHOWN = 16;

interface Data {
  dataset: Dataset;
  description: string;
  directions?: { values: Float64Array; features: number };
}

interface Run {
  controller: AbortController;
  /** Set while paused: the loop waits on it between groups of steps. */
  paused?: { promise: Promise<void>; resume: () => void };
}

let current: Run | undefined;
let gpu: GpuContext | undefined;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'start':
      void start(message.settings, message.file, message.device).catch((error) => {
        // A device that failed under a run is not used again: the next run asks for a new one.
        gpu?.destroy();
        gpu = undefined;
        post({ type: 'error', message: messageOf(error), during: 'training' });
      });
      return;
    case 'inspect':
      inspect(message.file, message.tensor);
      return;
    case 'pause':
      if (current && !current.paused) {
        let resume!: () => void;
        const promise = new Promise<void>((r) => (resume = r));
        current.paused = { promise, resume };
      }
      return;
    case 'resume':
      if (current?.paused) {
        current.paused.resume();
        current.paused = undefined;
        post({ type: 'resumed' });
      }
      return;
    case 'stop':
      if (current) {
        current.controller.abort();
        current.paused?.resume();
      }
      return;
  }
};

function readFile(file: ActivationFile, tensor: string): Dataset {
  return readActivations(file.name, file.bytes, tensor ? { tensor } : {});
}

function inspect(file: ActivationFile, tensor: string): void {
  try {
    const dataset = readFile(file, tensor);
    if (dataset.examples < 2) throw new Error(`${file.name}: holds ${dataset.examples} example; an SAE needs many`);
    post({ type: 'inspected', ok: true, name: file.name, examples: dataset.examples, dimensions: dataset.visibleSize });
  } catch (error) {
    post({ type: 'inspected', ok: false, name: file.name, message: messageOf(error) });
  }
}

function loadData(settings: SaeSettings, file: ActivationFile | undefined): Data {
  if (settings.data === 'synthetic') {
    const { features, dimensions, examples, active, seed } = settings;
    const made = generateSuperposition({ features, dimensions, examples, activePerExample: active, seed });
    return {
      dataset: made.dataset,
      description: `synthetic: ${features} directions in ${dimensions} dimensions, ${active} active per example, ${examples.toLocaleString('en-US')} examples`,
      directions: { values: made.directions, features },
    };
  }
  if (!file) throw new Error('choose a .npy or .safetensors file first');
  const dataset = readFile(file, settings.tensor);
  if (dataset.examples < 2) throw new Error(`${file.name}: holds ${dataset.examples} example; an SAE needs many`);
  return { dataset, description: `${file.name}${settings.tensor ? ` (${settings.tensor})` : ''}: ${dataset.examples.toLocaleString('en-US')} × ${dataset.visibleSize}` };
}

function trainSettingsOf(s: SaeSettings, data: Dataset): SaeTrainSettings {
  return defaultSaeSettings(s.variant, data.visibleSize, data.examples, {
    latents: s.latents,
    k: s.k,
    l1: s.l1,
    batchSize: s.batchSize,
    steps: s.steps,
    learningRate: s.learningRate,
    seed: s.seed,
  });
}

/** The first `rows` examples (the data are shuffled): the live metrics' fixed sample. */
function head(dataset: Dataset, rows: number): Dataset {
  const m = Math.min(rows, dataset.examples);
  return { ...dataset, examples: m, data: dataset.data.subarray(0, m * dataset.visibleSize) };
}

/** The model's numbers over `dataset`, in float64, and the most often firing latents' decoder directions. */
export function snapshotOf(model: SaeModel, dataset: Dataset, step: number, directions?: Data['directions']): SaeSnapshot {
  const { inputs: d, latents: h } = model.shape;
  const metrics = saeMetricsOf(dataset, h, (block, rows) => saeForward(model, block, rows));
  const L = saeLayout(model.shape);
  let mmcs: number | undefined;
  if (directions) {
    const decoder = new Float64Array(d * h); // D × n, column j = latent j's direction
    for (let i = 0; i < h; i++) for (let c = 0; c < d; c++) decoder[c * h + i] = model.theta[L.W2 + i * d + c];
    mmcs = meanMaxCosineSimilarity(directions.values, decoder, directions.features, d, h).mmcs;
  }
  const frequencies = metrics.density.frequencies;
  const latents = Array.from(frequencies.keys())
    .sort((a, b) => frequencies[b] - frequencies[a] || a - b)
    .slice(0, Math.min(COLUMNS_SHOWN, h));
  const values = new Float32Array(latents.length * d);
  latents.forEach((i, row) => {
    for (let c = 0; c < d; c++) values[row * d + c] = model.theta[L.W2 + i * d + c];
  });
  return {
    step,
    examples: metrics.examples,
    l0: metrics.l0,
    fvu: metrics.fvu,
    dead: metrics.deadLatents.length,
    histogram: metrics.density.histogram,
    ...(mmcs !== undefined ? { mmcs } : {}),
    columns: { count: latents.length, dimensions: d, latents, values },
  };
}

async function backendFor(device: 'gpu' | 'cpu', shape: SaeShape, settings: SaeTrainSettings, dataset: Dataset, theta0: Float64Array): Promise<{ backend: SaeBackend; fallback?: string }> {
  if (device === 'cpu') return { backend: cpuSaeBackend(shape, settings, dataset, theta0) };
  try {
    gpu ??= await createGpuContext();
  } catch (error) {
    if (!(error instanceof GpuUnavailableError)) throw error;
    return { backend: cpuSaeBackend(shape, settings, dataset, theta0), fallback: `${error.message}: training on the float64 reference instead (slow; keep the sizes small)` };
  }
  return { backend: await gpuSaeBackend(gpu, shape, settings, dataset, theta0) };
}

async function start(settings: SaeSettings, file: ActivationFile | undefined, device: 'gpu' | 'cpu'): Promise<void> {
  if (current) {
    post({ type: 'error', message: 'a run is already in progress', during: 'training' });
    return;
  }
  const run: Run = { controller: new AbortController() };
  current = run;
  try {
    post({ type: 'status', text: settings.data === 'synthetic' ? 'generating the synthetic data…' : `reading ${file?.name ?? 'the file'}…` });
    let data: Data;
    try {
      data = loadData(settings, file);
    } catch (error) {
      post({ type: 'error', message: messageOf(error), during: 'data' });
      return;
    }
    const { dataset } = data;
    // Contiguous batches of data stored in order would each see one region (as the CLI does).
    shuffleExamples(dataset, settings.seed);
    const trainSettings = trainSettingsOf(settings, dataset);
    try {
      checkSaeSettings(trainSettings, dataset.visibleSize, dataset.examples);
    } catch (error) {
      // The checks speak the command line's flags; the form's labels say the same thing.
      post({ type: 'error', message: messageOf(error).replace(/--hidden/g, 'latents').replace(/--batch-size/g, 'batch size').replace(/--(k|l1|iters|learning-rate)\b/g, (_, f) => ({ k: 'k', l1: 'λ', iters: 'steps', 'learning-rate': 'learning rate' })[f as string]!), during: 'settings' });
      return;
    }
    const shape: SaeShape = { inputs: dataset.visibleSize, latents: trainSettings.latents };
    post({ type: 'status', text: device === 'gpu' ? 'compiling the GPU kernels…' : 'preparing…' });
    const theta0 = initialSaeTheta(shape, dataset, trainSettings.seed);
    const { backend, fallback } = await backendFor(device, shape, trainSettings, dataset, theta0);
    post({
      type: 'ready',
      description: data.description,
      examples: dataset.examples,
      dimensions: dataset.visibleSize,
      settings: { ...settings, dimensions: settings.data === 'synthetic' ? settings.dimensions : dataset.visibleSize },
      device: backend.device.adapter,
      ...(fallback ? { fallback } : {}),
      knownDirections: !!data.directions,
    });
    const sample = head(dataset, LIVE_SAMPLE);
    const modelAt = (theta: Float64Array): SaeModel => ({ shape, variant: trainSettings.variant, theta, k: trainSettings.k });
    let lastSnapshot = -Infinity;
    let snapshotCost = 0;
    let outcome;
    try {
      outcome = await runSae(backend, trainSettings, dataset.examples, {
        signal: run.controller.signal,
        onProgress: async (p) => {
          post({ type: 'progress', ...p });
          const now = performance.now();
          if (now - lastSnapshot >= Math.max(MIN_SNAPSHOT_INTERVAL, snapshotCost / SNAPSHOT_BUDGET) && p.step < p.steps) {
            const theta = await backend.readTheta();
            // BatchTopK's live numbers use its running threshold, as inference will.
            const threshold = trainSettings.variant === 'batchtopk' ? await backend.readThreshold() : undefined;
            const snapshot = snapshotOf({ ...modelAt(theta), ...(threshold !== undefined ? { threshold } : {}) }, sample, p.step, data.directions);
            post({ type: 'snapshot', snapshot }, [snapshot.columns.values.buffer]);
            lastSnapshot = performance.now();
            snapshotCost = lastSnapshot - now;
          }
          if (run.paused) {
            post({ type: 'paused' });
            await run.paused.promise;
          }
        },
      });
    } finally {
      backend.destroy();
    }
    post({ type: 'status', text: `measuring the model on all ${dataset.examples.toLocaleString('en-US')} examples…` });
    const model: SaeModel = { ...modelAt(outcome.theta), ...(outcome.threshold !== undefined ? { threshold: outcome.threshold } : {}) };
    const snapshot = snapshotOf(model, dataset, outcome.steps, data.directions);
    post(
      {
        type: 'finished',
        exitReason: outcome.exitReason,
        steps: outcome.steps,
        seconds: outcome.seconds,
        snapshot,
        ...(outcome.threshold !== undefined ? { threshold: outcome.threshold } : {}),
      },
      [snapshot.columns.values.buffer],
    );
  } finally {
    current = undefined;
  }
}
