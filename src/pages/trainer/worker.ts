/**
 * The trainer page's worker: prepares the run (src/train/prepare.ts: the data, the checkpoint,
 * the engine — WebGPU, or the float64 reference), runs src/train/trainer.ts, and sends the page
 * progress, live pictures of the model, checkpoints and export files. Nothing here touches the DOM.
 */
import { unitStatistics, type UnitStatistics } from '../../analysis/units';
import { DataError, messageOf } from '../../data/errors';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot, trimLbfgsSnapshot } from '../../optim/lbfgs-snapshot';
import type { TileSize } from '../../display/network';
import type { GpuContext } from '../../gpu/device';
import { DeviceLostError } from '../../gpu/errors';
import { biasAdd, biasSigmoid, matmul } from '../../reference/ops';
import { outputOf, thetaViews, type Shape } from '../../reference/params';
import { Random } from '../../random';
import { CheckpointError, encodeCheckpoint, type Checkpoint } from '../../train/checkpoint';
import { ConfigError, type TrainConfig } from '../../train/config';
import type { TrainingEngine } from '../../train/engine';
import type { TrainingData, UserFile } from '../../train/data';
import {
  displayGeometry,
  featuresImage,
  featuresPng,
  modelJson,
  thetaFromModelJsonText,
  thetaMatFile,
  type ModelFromJson,
  type PixelGeometry,
  type Whitening,
} from '../../train/model-files';
import { rewhiten } from '../../data/zca';
import { prepareRun, type PreparedRun, type RunEnvironment } from '../../train/prepare';
import { train, type TrainingProgress, type TrainingResult } from '../../train/trainer';
import { loadBrowserTrainingData } from '../common/browser-data';
import { createGpuContext, GpuUnavailableError } from '../common/gpu-modules';
import type { ExportKind, FromWorker, OpenModelRequest, RunSummary, ShowModelRequest, StartRequest, ToWorker } from './protocol';

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

/** Examples shown beside their reconstructions. */
const SAMPLE_COUNT = 10;
/** A checkpoint kept in IndexedDB is trimmed (L-BFGS pairs dropped, oldest first) to this size. */
const STORED_CHECKPOINT_LIMIT = 64 * 1024 * 1024;
/** Views at most this often (ms), whatever liveEvery says. */
const MIN_VIEW_INTERVAL = 150;
/** ρ̂ needs a full evaluation: spend at most about this share of the time on it. */
const SUMMARY_BUDGET = 0.1;

interface Session {
  config: TrainConfig;
  shape: Shape;
  /** How examples are images, for the export files (undefined: not images). */
  pixelGeometry: PixelGeometry;
  /** How examples are drawn. */
  geometry: TileSize;
  /**
   * The ZCA whitening of the data (color patches): features are drawn as W1·ZCAWhite and
   * exported with it. A model shown again after a reload gets it back by sampling its data
   * again (the same seed gives the same patches), meanwhile `whiteningReady` is pending.
   */
  whitening?: Whitening;
  whiteningReady?: Promise<void>;
  sample: Float64Array;
  sampleCount: number;
  engine?: TrainingEngine<unknown>;
  close(): void;
  data?: TrainingData;
  /** θ₀ (seeded) of the run being trained. */
  initialTheta?: Float64Array;
  checkpoint?: Checkpoint;
  theta?: Float64Array;
  liveEvery: number;
  checkpointEvery: number;
  checkpointSeconds: number;
  controller?: AbortController;
  /** What the page asked for while training; acted on between iterations. */
  pending?: 'pause' | 'stop';
  lastResult?: TrainingResult;
}

let session: Session | undefined;
/** The GPU context of the run being prepared or trained (undefined on the CPU). */
let gpuContext: GpuContext | undefined;
/** Serializes requests: a start while another is loading waits for it. */
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  // Pause and stop must reach a running loop at once, not wait behind it; exports and file
  // checks do not touch the run. Only what starts or continues a run waits its turn.
  if (message.type === 'pause' || message.type === 'stop') {
    control(message.type);
    return;
  }
  if (message.type === 'export') {
    void exportFile(message.kind);
    return;
  }
  if (message.type === 'inspect') {
    void inspect(message.files, message.config);
    return;
  }
  if (message.type === 'lose-device') {
    // What a driver reset or an unplugged GPU does to a run, on request of a test.
    gpuContext?.device.destroy();
    return;
  }
  queue = queue.then(() => handle(message)).catch((error) => post({ type: 'error', message: messageOf(error), during: 'training' }));
};

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start':
      return start(message);
    case 'show-model':
      return showModel(message);
    case 'open-model':
      return openModel(message);
    case 'resume':
      if (!session?.engine || !session.checkpoint) {
        post({ type: 'error', message: 'there is no paused run to resume', during: 'training' });
        return;
      }
      session.config = { ...session.config, iterations: message.iterations };
      return run(session, session.checkpoint);
    default:
      return;
  }
}

function control(action: 'pause' | 'stop'): void {
  const s = session;
  if (!s) return;
  if (s.controller) {
    s.pending = action;
    // Stopping needs no resumable state: stop now, even inside a line search. Pausing waits
    // for the iteration to end, so the checkpoint holds the optimizer's full state.
    if (action === 'stop') s.controller.abort();
    return;
  }
  if (action === 'stop' && s.lastResult && s.theta) {
    // Paused: stopping only ends the run.
    post({ type: 'ended', reason: 'stopped', summary: summaryOf(s.lastResult, unitsOf(s, s.theta)), theta: s.theta.slice() });
    endSession();
  }
}

function endSession(): void {
  session?.close();
  session = undefined;
}

async function inspect(files: StartRequest['files'], config: TrainConfig): Promise<void> {
  try {
    const data = await loadBrowserTrainingData({ ...config, data: files!.map((f) => f.name).join(', ') }, files);
    post({ type: 'inspected', ok: true, description: data.description, examples: data.dataset.examples, visibleSize: data.dataset.visibleSize });
  } catch (error) {
    post({ type: 'inspected', ok: false, message: pageWords(messageOf(error)) });
  }
}

/** The data layer's advice names the command line's flag; on the page it is a checkbox. */
function pageWords(message: string): string {
  return message
    .replace("pass --normalize to apply UFLDL's normalizeData", "tick “Rescale as UFLDL's normalizeData” under Data")
    .replace('(--output linear)', '(Output layer: linear, under Model)');
}

function pickSample(data: TrainingData, seed: number): { sample: Float64Array; sampleCount: number } {
  const { examples, visibleSize: v } = data.dataset;
  const count = Math.min(SAMPLE_COUNT, examples);
  const rng = new Random((seed * 7919 + 17) >>> 0);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.integer(examples));
  const sample = new Float64Array(count * v);
  [...chosen].forEach((index, k) => sample.set(data.dataset.data.subarray(index * v, (index + 1) * v), k * v));
  return { sample, sampleCount: count };
}

/** The worker's environment for a run: the page's loaders and the worker's navigator.gpu. */
function browserRunEnvironment(files: readonly UserFile[] | undefined, tuneBudgetMs: number | undefined): RunEnvironment {
  return {
    loadData: (config) => loadBrowserTrainingData(config, files),
    createGpuContext: async () => (gpuContext = await createGpuContext()),
    isGpuUnavailable: (error) => error instanceof GpuUnavailableError,
    // The kernels raced on this adapter for the model's products, the choice kept in IndexedDB.
    // Loaded only when a run asks for WebGPU, as the engine is (src/train/prepare.ts).
    tuneKernels: async (ctx, shapes) => {
      const off = tuneBudgetMs === 0;
      if (!off) post({ type: 'status', text: 'Tuning the kernels on this adapter…' });
      const [{ tuneContext }, { indexedDbTuningCache }] = await Promise.all([import('../../gpu/tuning'), import('../common/tuning-store')]);
      return tuneContext(ctx, shapes, { off, budgetMs: tuneBudgetMs, cache: indexedDbTuningCache });
    },
  };
}

async function start(request: StartRequest): Promise<void> {
  if (session?.controller) {
    post({ type: 'error', message: 'a run is already in progress', during: 'training' });
    return;
  }
  endSession();
  gpuContext = undefined;
  const { device } = request;
  // Which step failed tells the page what to say: the settings, the data (or the saved run), the engine.
  let step = 'config' as 'config' | 'data' | 'engine';
  let prepared: PreparedRun;
  try {
    prepared = await prepareRun(
      {
        config: request.config,
        device,
        resume: request.resume && { bytes: request.resume, source: 'the saved run' },
        maxExamples: request.maxExamples,
        fallbackToCpu: true,
        onLoadingData: (config) => {
          step = 'data';
          post({ type: 'status', text: loadingText(config) });
        },
        onInputsReady: () => {
          step = 'engine';
          post({ type: 'status', text: device === 'gpu' ? 'Setting up WebGPU…' : 'Setting up the float64 reference…' });
        },
      },
      browserRunEnvironment(request.files, request.tuneBudgetMs),
    );
  } catch (error) {
    if (step === 'engine') {
      post({ type: 'error', message: `the ${device === 'gpu' ? 'WebGPU' : 'CPU'} engine could not be set up: ${messageOf(error)}`, during: 'engine' });
    } else if (step === 'config' && error instanceof ConfigError) {
      post({ type: 'error', message: messageOf(error), during: 'config' });
    } else {
      const theInput = error instanceof DataError || error instanceof ConfigError || error instanceof CheckpointError;
      post({ type: 'error', message: pageWords(messageOf(error)), during: theInput ? 'data' : 'training' });
    }
    return;
  }
  const { config, data, shape, initialTheta, resumeFrom, engine, close, adapter, fallback } = prepared;

  const geometry = displayGeometry(data.geometry, shape.visibleSize);
  const { sample, sampleCount } = pickSample(data, config.seed);
  session = {
    config,
    shape,
    geometry,
    sample,
    sampleCount,
    pixelGeometry: data.geometry,
    whitening: data.whitening,
    engine,
    close: () => {
      try {
        close();
      } catch {
        // already gone
      }
    },
    data,
    initialTheta,
    liveEvery: request.liveEvery,
    checkpointEvery: request.checkpointEvery,
    checkpointSeconds: request.checkpointSeconds,
  };
  post({
    type: 'ready',
    description: data.description,
    shape,
    pixelGeometry: data.geometry,
    geometry,
    examples: data.dataset.examples,
    device: engine.device,
    adapter,
    fallback,
    sample: sample.slice(),
    sampleCount,
    resumedFrom: resumeFrom && {
      iteration: resumeFrom.iteration,
      evaluations: resumeFrom.evaluations,
      cost: resumeFrom.cost,
      elapsedSeconds: resumeFrom.elapsedSeconds,
      initialCost: resumeFrom.initialCost,
    },
  });
  if (resumeFrom) {
    session.theta = resumeFrom.theta.slice();
    sendView(session, resumeFrom.theta, resumeFrom.iteration);
  }
  await run(session, resumeFrom);
}

function noop(): void {}

function loadingText(config: TrainConfig): string {
  switch (config.data) {
    case 'natural':
      return 'Loading and whitening the natural images…';
    case 'natural-color':
      return 'Loading the photos in color, whitening the patches (ZCA)…';
    case 'mnist':
      return 'Loading the MNIST digits…';
    default:
      return 'Reading your data…';
  }
}

function reconstruct(theta: Float64Array, shape: Shape, sample: Float64Array, count: number): Float64Array {
  const { visibleSize: v, hiddenSize: h } = shape;
  const { W1t, W2t, b1, b2 } = thetaViews(theta, shape);
  const a2 = biasSigmoid(matmul(sample, W1t, count, h, v), b1, count, h);
  const z3 = matmul(a2, W2t, count, v, h);
  return outputOf(shape) === 'linear' ? biasAdd(z3, b2, count, v) : biasSigmoid(z3, b2, count, v);
}

function sendView(s: Session, theta: Float64Array, iteration: number, meanActivation?: Float64Array): void {
  const features = featuresImage(theta, s.shape, s.pixelGeometry, s.whitening);
  const reconstructions = reconstruct(theta, s.shape, s.sample, s.sampleCount);
  const rho = meanActivation?.slice();
  const transfer: Transferable[] = [features.values.buffer, reconstructions.buffer];
  if (rho) transfer.push(rho.buffer);
  post({ type: 'view', iteration, features, reconstructions, meanActivation: rho }, transfer);
}

/** The checkpoint as stored: L-BFGS pairs dropped (oldest first) when it would be too large. */
function storedCopy(c: Checkpoint): { bytes: Uint8Array; keptCorrections?: { kept: number; of: number } } {
  const bytes = encodeCheckpoint(c);
  if (bytes.length <= STORED_CHECKPOINT_LIMIT || !c.lbfgs) return { bytes };
  const snapshot = decodeLbfgsSnapshot(c.lbfgs);
  const n = c.theta.length;
  const base = bytes.length - snapshot.corrections.length * 2 * n * 8;
  const kept = Math.max(1, Math.floor((STORED_CHECKPOINT_LIMIT - base) / (2 * n * 8)));
  const trimmed = trimLbfgsSnapshot(snapshot, kept);
  return {
    bytes: encodeCheckpoint({ ...c, lbfgs: encodeLbfgsSnapshot(trimmed) }),
    keptCorrections: { kept: trimmed.corrections.length, of: snapshot.corrections.length },
  };
}

async function run(s: Session, resumeFrom: Checkpoint | undefined): Promise<void> {
  const engine = s.engine!;
  const controller = new AbortController();
  s.controller = controller;
  s.pending = undefined;
  let viewedIteration = -Infinity;
  let viewedAt = -Infinity;
  let wanted = true; // the starting point is shown first
  let summaryEnded = -Infinity;
  let summaryTook = 0;
  /** θ (and ρ̂, within its time budget) read back at a progress report, for the live view. */
  const view = async (p: TrainingProgress) => {
    const theta = await p.readTheta();
    let meanActivation: Float64Array | undefined;
    const now = performance.now();
    if (now - summaryEnded >= summaryTook / SUMMARY_BUDGET) {
      meanActivation = (await engine.summarize(theta)).meanActivation.slice();
      summaryEnded = performance.now();
      summaryTook = summaryEnded - now;
    }
    wanted = false;
    viewedIteration = p.iteration;
    viewedAt = performance.now();
    s.theta = theta;
    sendView(s, theta, p.iteration, meanActivation);
  };

  let result: TrainingResult;
  try {
    result = await train(engine, {
      config: s.config,
      initialTheta: s.initialTheta!,
      resumeFrom,
      signal: controller.signal,
      checkpointEvery: s.checkpointEvery,
      checkpointSeconds: s.checkpointSeconds,
      onProgress: async (p) => {
        const { readTheta: _, ...progress } = p;
        post({ type: 'progress', ...progress });
        if (p.iteration - viewedIteration >= s.liveEvery && performance.now() - viewedAt >= MIN_VIEW_INTERVAL) wanted = true;
        if (wanted) await view(p);
        if (s.pending === 'pause') controller.abort();
      },
      onCheckpoint: (c) => {
        s.checkpoint = c;
        const { bytes, keptCorrections } = storedCopy(c);
        post({ type: 'checkpoint', iteration: c.iteration, totalIterations: c.config.iterations, cost: c.cost, bytes, keptCorrections }, [bytes.buffer]);
      },
    });
  } catch (error) {
    s.controller = undefined;
    // A lost device surfaces at the next read-back as DeviceLostError; the page then offers the
    // last checkpoint, which it has already stored.
    const lost = await deviceLoss(error);
    post({ type: 'error', message: lost ?? messageOf(error), during: lost ? 'device' : 'training' });
    endSession();
    return;
  }
  s.controller = undefined;
  s.lastResult = result;
  s.theta = result.theta;
  sendView(s, result.theta, result.iterations, result.meanActivation);
  const reason = s.pending === 'pause' && result.cancelled ? 'paused' : result.cancelled ? 'stopped' : 'finished';
  // A pause is not the end: the float64 pass over the data waits for the run's end.
  const units = reason === 'paused' ? undefined : unitsOf(s, result.theta);
  post({ type: 'ended', reason, summary: summaryOf(result, units), theta: result.theta.slice() });
  if (reason !== 'paused') {
    // The engine is freed; θ stays for exports.
    s.close();
    session = { ...s, engine: undefined, data: undefined, initialTheta: undefined, checkpoint: undefined, close: noop };
  }
}

/**
 * What to say when `error` came of a lost GPU device, else undefined. A read-back on a lost
 * device can fail before device.lost has settled, so a failure on the GPU waits briefly for it.
 */
async function deviceLoss(error: unknown): Promise<string | undefined> {
  if (error instanceof DeviceLostError) return error.message;
  const ctx = gpuContext;
  if (!ctx) return undefined;
  const info = await Promise.race([ctx.device.lost, new Promise<undefined>((resolve) => setTimeout(resolve, 200))]);
  return info ? `the WebGPU device was lost (${info.reason}): ${info.message || messageOf(error)}` : undefined;
}

/** The hidden layer as SAE tools describe it, on the training data (a float64 pass, seconds for MNIST). */
function unitsOf(s: Session, theta: Float64Array): UnitStatistics | undefined {
  return s.data ? unitStatistics(theta, s.shape, s.data.dataset) : undefined;
}

function summaryOf(result: TrainingResult, units?: UnitStatistics): RunSummary {
  return {
    iterations: result.iterations,
    evaluations: result.evaluations,
    seconds: result.seconds,
    initialCost: result.initialCost,
    finalCost: result.finalCost,
    parts: result.parts,
    meanActivation: result.meanActivation.slice(),
    exitReason: result.exitReason,
    divergedAt: result.divergedAt,
    work: result.work,
    units,
  };
}

function showModel(request: ShowModelRequest): void {
  endSession();
  const { config, shape, pixelGeometry, geometry, theta, sample, sampleCount } = request;
  const shown: Session = { config, shape, pixelGeometry, geometry, theta, sample, sampleCount, close: noop, liveEvery: 1, checkpointEvery: 0, checkpointSeconds: 0 };
  session = shown;
  sendView(shown, theta, config.iterations);
  if (config.data === 'natural-color') {
    shown.whiteningReady = loadBrowserTrainingData(config, undefined).then(
      (data) => {
        shown.whitening = data.whitening;
        if (session === shown) sendView(shown, theta, config.iterations);
      },
      () => undefined, // then the features stay drawn without ZCAWhite
    );
  }
}

/**
 * A model.json (src/train/model-files.ts reads it) shown on the current data as a finished run
 * is: its features, ρ̂ and the units' statistics over every example, reconstructions of a few.
 * Anything that does not fit is a 'model-refused' and leaves the page's run as it was.
 */
async function openModel(request: OpenModelRequest): Promise<void> {
  const { name, bytes, files } = request;
  const refuse = (message: string) => post({ type: 'model-refused', name, message });
  if (session?.controller) return refuse('a run is in progress: stop it first');
  let model: ModelFromJson;
  try {
    model = thetaFromModelJsonText(bytes, name);
  } catch (error) {
    return refuse(messageOf(error));
  }
  const { shape, theta, whitening } = model;
  const output = outputOf(shape);
  const config: TrainConfig = { ...request.config, ...model.hyperparameters, hiddenSize: shape.hiddenSize, output };
  let data: TrainingData;
  try {
    data = await loadBrowserTrainingData(config, files);
  } catch (error) {
    return refuse(`the current data could not be loaded for it: ${pageWords(messageOf(error))}`);
  }
  const { visibleSize, examples } = data.dataset;
  if (visibleSize !== shape.visibleSize) {
    return refuse(
      `${name} is a ${shape.visibleSize}-${shape.hiddenSize} autoencoder, reading ${shape.visibleSize} values per example; ` +
        `the current data (${data.description}) have ${visibleSize}: choose the data it was trained on`,
    );
  }
  if (whitening) {
    if (!data.whitening) {
      return refuse(`${name} was trained on ZCA-whitened patches (it carries meanPatch and ZCAWhite); the current data are not whitened: choose the photos in color`);
    }
    // The page's patches are whitened by their own fit; the model's features need its own.
    rewhiten(data.dataset, data.whitening, whitening);
  }
  endSession();
  const geometry = displayGeometry(data.geometry, visibleSize);
  const { sample, sampleCount } = pickSample(data, config.seed);
  const shown: Session = {
    config,
    shape,
    pixelGeometry: data.geometry,
    geometry,
    whitening: whitening ?? data.whitening,
    theta,
    sample,
    sampleCount,
    close: noop,
    liveEvery: 1,
    checkpointEvery: 0,
    checkpointSeconds: 0,
  };
  session = shown;
  const meanActivation = meanActivationOf(theta, shape, data.dataset);
  const units = unitStatistics(theta, shape, data.dataset);
  post({
    type: 'model-opened',
    name,
    config,
    description: `${data.description}, ${examples} examples`,
    shape,
    pixelGeometry: data.geometry,
    geometry,
    sample: sample.slice(),
    sampleCount,
    theta: theta.slice(),
    meanActivation: meanActivation.slice(),
    units,
    whitened: !!whitening,
  });
  sendView(shown, theta, 0, meanActivation);
}

/** ρ̂: each hidden unit's mean activation over every example (float64, in blocks of rows). */
function meanActivationOf(theta: Float64Array, shape: Shape, dataset: TrainingData['dataset']): Float64Array {
  const { visibleSize: v, hiddenSize: h } = shape;
  const { W1t, b1 } = thetaViews(theta, shape);
  const rho = new Float64Array(h);
  const block = 1000;
  for (let start = 0; start < dataset.examples; start += block) {
    const rows = Math.min(block, dataset.examples - start);
    const a2 = biasSigmoid(matmul(dataset.data.subarray(start * v, (start + rows) * v), W1t, rows, h, v), b1, rows, h);
    for (let k = 0; k < rows; k++) for (let j = 0; j < h; j++) rho[j] += a2[k * h + j];
  }
  for (let j = 0; j < h; j++) rho[j] /= dataset.examples;
  return rho;
}

async function exportFile(kind: ExportKind): Promise<void> {
  const s = session;
  if (!s?.theta) {
    post({ type: 'error', message: 'there is no model to export yet', during: 'export' });
    return;
  }
  await s.whiteningReady;
  const geometry = s.pixelGeometry;
  let bytes: Uint8Array;
  let filename: string;
  let mime: string;
  if (kind === 'png') {
    bytes = featuresPng(s.theta, s.shape, geometry, 4, s.whitening);
    filename = 'features.png';
    mime = 'image/png';
  } else if (kind === 'json') {
    bytes = new TextEncoder().encode(JSON.stringify(modelJson(s.theta, s.shape, s.config, geometry, s.whitening)));
    filename = 'model.json';
    mime = 'application/json';
  } else {
    bytes = thetaMatFile(s.theta, s.shape, geometry, s.whitening);
    filename = 'theta.mat';
    mime = 'application/octet-stream';
  }
  post({ type: 'exported', kind, filename, mime, bytes }, [bytes.buffer]);
}
