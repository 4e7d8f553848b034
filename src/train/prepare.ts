/**
 * Everything between "train with this configuration" and the first iteration, written once for
 * the command line (src/cli/train.ts) and the trainer page's worker (src/pages/trainer/worker.ts):
 *
 *   configuration checked → checkpoint read and its configuration adopted → data loaded (and
 *   subsampled) → the model's size checked against memory → θ₀ (seeded, or the user's) →
 *   the checkpoint checked against the model → the engine (WebGPU, or the float64 reference,
 *   also when WebGPU is not offered and the caller accepts that)
 *
 * What differs between Node and the browser comes in as a RunEnvironment: where the data's
 * bytes come from, how a GPU context is made, which errors mean "no WebGPU here", how much
 * memory a model may take. Every problem is the error its step throws (ConfigError,
 * CheckpointError, DataError, ResourceLimitError, the GPU's errors), so each front end says it
 * in its own words.
 */
import { DataError, messageOf } from '../data/errors';
import { beyondFloat32 } from '../gpu/errors';
import type { AdapterSummary } from '../gpu/adapter';
import { kernelConfigFor, type GpuContext } from '../gpu/device';
import { denseMatmulShapes, type MatmulShape } from '../gpu/tuner';
import { warmUpPipelines, type CompileStamps } from '../gpu/warm-up';
import type { KernelProgram } from '../gpu/programs';
import { randomSubset } from '../data/patches';
import { DEFAULT_CORRECTIONS } from '../optim/lbfgs';
import { decodeLbfgsSnapshot } from '../optim/lbfgs-snapshot';
import type { Dataset, Hyperparameters } from '../reference/autoencoder';
import { initializeParameters, outputOf, thetaLayout, type Shape } from '../reference/params';
import { CheckpointError, decodeCheckpoint, type Checkpoint } from './checkpoint';
import { validateConfig, type TrainConfig } from './config';
import { visibleSizeBeforeLoading, type TrainingData } from './data';
import { cpuEngine, type TrainingEngine } from './engine';
import { checkModelSize } from './model-size';

export type DeviceChoice = 'gpu' | 'cpu';

/** Where a run's inputs and GPU come from, in this environment. */
export interface RunEnvironment {
  /** The training data `config` names (src/train/data.ts with this environment's loaders). */
  loadData(config: TrainConfig): Promise<TrainingData>;
  /** A GPU context, or an error saying why there is none. */
  createGpuContext(): Promise<GpuContext>;
  /** Whether an error of createGpuContext means WebGPU is not offered here at all. */
  isGpuUnavailable(error: unknown): boolean;
  /** Bytes the model's float64 vectors may take in this process (unset: not checked). */
  availableMemory?: number;
  /**
   * Chooses the kernels for a model of these matmul products on the context (src/gpu/tuning.ts
   * sets ctx.kernels), before the engine is made. Absent: the table's choice.
   */
  tuneKernels?(ctx: GpuContext, shapes: MatmulShape[]): Promise<unknown>;
  /**
   * The programs tuneKernels's race dispatches first on this context (src/gpu/tuning.ts
   * firstGuessPrograms), for the warm-up to compile with the engine's. Absent: none.
   */
  tuningWarmUp?(ctx: GpuContext, shapes: MatmulShape[]): KernelProgram[];
  /**
   * A second device on the context's adapter that compiles half of the engine's warm-up in
   * parallel (src/gpu/warm-up.ts), where that pays: an adapter that compiles at the first
   * dispatch, one queue thread per device, with a shader cache shared between devices. Absent or
   * undefined: the run's device warms up alone.
   */
  createWarmUpHelper?(ctx: GpuContext): Promise<GpuContext | undefined>;
  /**
   * The warm-ups this machine's shader cache already holds (src/gpu/compile-stamps-node.ts):
   * those are skipped, since they would only put their submissions ahead of the data. A warm-up
   * whose compiles finish is added. Absent: every run warms up.
   */
  compileStamps?: CompileStamps;
  /** The GPU engine on a context (default: ./gpu-engine.ts, loaded only when a run asks for WebGPU). */
  createGpuEngine?(ctx: GpuContext, shape: Shape, hyperparameters: Hyperparameters, dataset: Dataset): Promise<TrainingEngine<unknown>>;
}

export interface RunRequest {
  config: TrainConfig;
  device: DeviceChoice;
  /** Continue the run saved in these checkpoint bytes. */
  resume?: {
    bytes: Uint8Array;
    /** Names the checkpoint in messages: a path, or "the saved run". */
    source: string;
    /** The configuration to continue with, given the saved run's (default: `config` as given). */
    config?(saved: TrainConfig): TrainConfig;
    /** What to do with a checkpoint saved before its first L-BFGS iteration (default: start the run again). */
    startAgain?: string;
  };
  /** θ₀ from the user's model instead of the seed; its values must be finite. */
  init?: {
    source: string;
    load(shape: Shape, data: TrainingData): Promise<Float64Array>;
  };
  /** Train on a random subset of this many examples when the data have more. */
  maxExamples?: number;
  /** When WebGPU is not offered here, train on the float64 reference (and say so in `fallback`) instead of failing. */
  fallbackToCpu?: boolean;
  /** Before the data are loaded (the page says what it is loading). */
  onLoadingData?(config: TrainConfig): void;
  /**
   * The inputs are checked and the engine comes next. Awaited; what it throws ends the
   * preparation before any engine is made (the command line readies its output folder here).
   */
  onInputsReady?(inputs: RunInputs): void | Promise<void>;
}

/** A run's checked inputs. */
export interface RunInputs {
  /** The configuration the run trains with (a resumed run's, as adopted). */
  config: TrainConfig;
  data: TrainingData;
  shape: Shape;
  /** θ₀: seeded, or the user's; the trainer starts here unless it resumes. */
  initialTheta: Float64Array;
  /** The checkpoint to continue, checked against the model. */
  resumeFrom?: Checkpoint;
}

/** What a run needs. close() frees the engine and its GPU context. */
export interface PreparedRun extends RunInputs {
  engine: TrainingEngine<unknown>;
  /** The GPU adapter, when the engine is WebGPU's. */
  adapter?: AdapterSummary;
  /** Why the run trains on the float64 reference although WebGPU was asked for. */
  fallback?: string;
  close(): void;
}

export async function prepareRun(request: RunRequest, environment: RunEnvironment): Promise<PreparedRun> {
  const { resume } = request;
  validateConfig(request.config);
  let config = request.config;
  let resumeFrom: Checkpoint | undefined;
  if (resume) {
    resumeFrom = decodeCheckpoint(resume.bytes, resume.source);
    if (resume.config) {
      config = resume.config(resumeFrom.config);
      validateConfig(config);
    }
  }

  // WebGPU's context is made before the data are loaded, and the engine's pipelines warmed up
  // where the configuration gives the model's shape: an adapter that compiles at the first
  // dispatch (lavapipe) compiles them while this thread decodes and whitens the data.
  const early = request.device === 'gpu' ? startGpu(config, environment) : undefined;
  try {
    await early?.warmedUp;
    return await prepareWith(request, environment, config, resumeFrom, early);
  } catch (error) {
    early?.abandon();
    throw error;
  }
}

/** A GPU context made before the data, and when its warm-up's compiles are done. */
export interface StartedGpu {
  context: Promise<GpuContext>;
  /** Resolves (never rejects) once the warm-up's compiles are done, the helper's included, or found impossible. */
  compiled: Promise<void>;
}

/** A GPU context being made, and its engine's warm-up submitted (./gpu-engine.ts trainingEnginePrograms, src/gpu/warm-up.ts). */
interface EarlyGpu {
  /** Resolves (never rejects) once the warm-up is submitted, or found impossible. */
  warmedUp: Promise<void>;
  /** Marks the context as handed to createRunEngine, which frees it from then on. */
  handOver(): StartedGpu;
  /** Frees the context unless it was handed over. */
  abandon(): void;
}

function startGpu(config: TrainConfig, environment: RunEnvironment): EarlyGpu {
  const context = environment.createGpuContext();
  context.catch(() => {}); // reported when the engine is made, after the data's own errors, as before
  let handedOver = false;
  let helper: GpuContext | undefined;
  const release = () => {
    helper?.destroy();
    helper = undefined;
  };
  let compiled: Promise<void> = Promise.resolve();
  const warmedUp = context
    .then(async (ctx) => {
      const visibleSize = visibleSizeBeforeLoading(config);
      // An environment's own engine compiles its own pipelines.
      if (visibleSize === undefined || environment.createGpuEngine) return;
      const shape: Shape = { visibleSize, hiddenSize: config.hiddenSize, ...(config.output ? { output: config.output } : {}) };
      const corrections = config.optimizer === 'lbfgs' ? DEFAULT_CORRECTIONS : undefined;
      const { trainingEnginePrograms, WARM_UP_EXAMPLES } = await import('./gpu-engine');
      // The race's first, then the engine's: in the order the run will dispatch them.
      const raced = environment.tuningWarmUp?.(ctx, denseMatmulShapes(WARM_UP_EXAMPLES, [visibleSize, config.hiddenSize, visibleSize], kernelConfigFor(ctx).splitK)) ?? [];
      const engine = await trainingEnginePrograms(ctx, shape, config, corrections);
      const all = [...raced, ...engine];
      const stamps = environment.compileStamps;
      if (await stamps?.has(ctx.adapterInfo, all).catch(() => false)) return;
      helper = await environment.createWarmUpHelper?.(ctx).catch(() => undefined);
      const submitted = performance.now();
      const { done, firstDone } = await warmUpPipelines(ctx, engine, { helper, first: raced });
      // What the race's first guess cost to compile (with no helper, an upper bound: the engine's too).
      if (raced.length > 0) firstDone.then(() => (ctx.raceCompileMs = performance.now() - submitted), () => {});
      compiled = done
        .then(() => stamps?.add(ctx.adapterInfo, all))
        .catch(() => {})
        .finally(release);
    })
    .catch(release); // whatever fails here fails again, and is reported, where the engine is made
  return {
    warmedUp,
    handOver: () => ((handedOver = true), { context, compiled: warmedUp.then(() => compiled) }),
    abandon() {
      release();
      if (!handedOver) context.then((ctx) => ctx.destroy(), () => {});
    },
  };
}

async function prepareWith(request: RunRequest, environment: RunEnvironment, config: TrainConfig, resumeFrom: Checkpoint | undefined, early: EarlyGpu | undefined): Promise<PreparedRun> {
  const { resume, init, maxExamples } = request;
  request.onLoadingData?.(config);
  let data = await environment.loadData(config);
  if (maxExamples && maxExamples < data.dataset.examples) {
    data = { ...data, dataset: randomSubset(data.dataset, maxExamples, config.seed), description: `a random ${maxExamples} of ${data.description}` };
  }
  // The output layer travels with the shape to every engine, checkpoint and model file.
  const shape: Shape = { visibleSize: data.dataset.visibleSize, hiddenSize: config.hiddenSize, ...(config.output ? { output: config.output } : {}) };
  if (environment.availableMemory !== undefined) checkModelSize(shape, config.optimizer, environment.availableMemory);

  let initialTheta: Float64Array;
  if (init) {
    initialTheta = await init.load(shape, data);
    if (!initialTheta.every(Number.isFinite)) throw new DataError(init.source, 'holds values that are not finite numbers');
  } else {
    initialTheta = initializeParameters(shape, config.seed);
  }
  if (resume && resumeFrom) checkResumable(resumeFrom, shape, resume.source, resume.startAgain);
  if (request.device === 'gpu') checkFloat32(data, config, initialTheta, init?.source, resumeFrom, resume?.source);

  const inputs: RunInputs = { config, data, shape, initialTheta, resumeFrom };
  await request.onInputsReady?.(inputs);
  const corrections = config.optimizer === 'lbfgs' ? DEFAULT_CORRECTIONS : undefined;
  const engine = await createRunEngine(request.device, shape, config, data.dataset, environment, request.fallbackToCpu ?? false, corrections, early?.handOver());
  return { ...inputs, ...engine };
}

/**
 * A checkpoint continues this model only if it was made for its shape (else the data changed:
 * said first, as the likelier cause) and every vector in it (θ, the optimizer's state, L-BFGS's
 * iterate, gradient and pairs) has θ's length and finite values.
 */
export function checkResumable(checkpoint: Checkpoint, shape: Shape, source: string, startAgain = 'start the run again'): void {
  const fail = (why: string): never => {
    throw new CheckpointError(`${source}: ${why}`);
  };
  const saved = checkpoint.shape;
  if (saved.visibleSize !== shape.visibleSize || saved.hiddenSize !== shape.hiddenSize) {
    fail(`made for a ${saved.visibleSize}-${saved.hiddenSize} model, the data give ${shape.visibleSize}-${shape.hiddenSize}`);
  }
  if (outputOf(saved) !== outputOf(shape)) fail(`made for a ${outputOf(saved)} output layer, this run's is ${outputOf(shape)}`);
  const length = thetaLayout(shape).length;
  const needed = { lbfgs: [], gd: [], sgd: ['velocity'], adam: ['m', 'v'] }[checkpoint.config.optimizer] ?? [];
  for (const name of needed) if (!checkpoint.state[name]) fail(`holds no '${name}' state for ${checkpoint.config.optimizer}`);
  if (checkpoint.config.optimizer === 'lbfgs' && !checkpoint.lbfgs) fail(`holds no L-BFGS state (saved before the run reached an iteration): ${startAgain}`);
  const vectors: [string, ArrayLike<number>][] = [['θ', checkpoint.theta], ...Object.entries(checkpoint.state)];
  if (checkpoint.lbfgs) {
    let snapshot;
    try {
      snapshot = decodeLbfgsSnapshot(checkpoint.lbfgs);
    } catch (error) {
      return fail(`its L-BFGS state is unreadable (${messageOf(error)})`);
    }
    vectors.push(['the L-BFGS iterate', snapshot.x], ['the L-BFGS gradient', snapshot.grad]);
    snapshot.corrections.forEach((pair, i) => vectors.push([`L-BFGS pair ${i + 1}`, pair.s], [`L-BFGS pair ${i + 1}`, pair.y]));
  }
  for (const [name, values] of vectors) {
    if (values.length !== length) fail(`${name} has ${values.length} values; this model has ${length}`);
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) fail(`${name} holds a value that is not a finite number`);
  }
}

/**
 * The GPU computes in float32: a value beyond its range would become an infinity there and the
 * run nonsense, silently. Refused instead, naming the input; the float64 reference holds them.
 */
function checkFloat32(data: TrainingData, config: TrainConfig, theta: Float64Array, thetaSource: string | undefined, checkpoint: Checkpoint | undefined, checkpointSource: string | undefined): void {
  const why = (value: number) => `holds ${value}, beyond float32's range (±3.4e38), which the GPU computes in`;
  const inData = beyondFloat32(data.dataset.data);
  if (inData !== undefined) throw new DataError(config.data, `${why(inData)}: rescale the data (or --normalize), or train on the float64 CPU reference (--device cpu)`);
  const inTheta = beyondFloat32(theta);
  if (inTheta !== undefined && thetaSource) throw new DataError(thetaSource, `${why(inTheta)}: train from it on the float64 CPU reference (--device cpu)`);
  const inCheckpoint = checkpoint ? beyondFloat32(checkpoint.theta) : undefined;
  if (inCheckpoint !== undefined) throw new CheckpointError(`${checkpointSource}: θ ${why(inCheckpoint)}: continue on the float64 CPU reference (--device cpu)`);
}

/**
 * The engine `device` names. With `fallbackToCpu`, an environment without WebGPU gives the
 * float64 reference and the reason; any other failure is thrown, its GPU context freed. With
 * `lbfgsCorrections`, an L-BFGS memory too large for the adapter is refused here, before the
 * run starts, rather than when the trainer makes it. `started`: a context already being made
 * (by prepareRun, before the data), freed here as one made here would be, and its warm-up.
 */
export async function createRunEngine(
  device: DeviceChoice,
  shape: Shape,
  hyperparameters: Hyperparameters,
  dataset: Dataset,
  environment: RunEnvironment,
  fallbackToCpu = false,
  lbfgsCorrections?: number,
  started?: StartedGpu,
): Promise<Pick<PreparedRun, 'engine' | 'adapter' | 'fallback' | 'close'>> {
  const reference = () => {
    const engine = cpuEngine(shape, hyperparameters, dataset) as TrainingEngine<unknown>;
    return { engine, close: () => engine.destroy() };
  };
  if (device === 'cpu') return reference();
  let ctx: GpuContext;
  try {
    ctx = await (started?.context ?? environment.createGpuContext());
  } catch (error) {
    if (!(fallbackToCpu && environment.isGpuUnavailable(error))) throw error;
    return { ...reference(), fallback: `${messageOf(error)}: training on the float64 reference instead` };
  }
  try {
    // The project's engine: its L-BFGS memory is checked here (an environment's own engine answers for its own).
    if (lbfgsCorrections !== undefined && !environment.createGpuEngine) {
      (await import('../gpu/lbfgs')).checkLbfgsFits(ctx.device, thetaLayout(shape).length, lbfgsCorrections);
    }
    if (environment.tuneKernels) {
      const layers = [shape.visibleSize, shape.hiddenSize, shape.visibleSize];
      await environment.tuneKernels(ctx, denseMatmulShapes(dataset.examples, layers, kernelConfigFor(ctx).splitK));
    }
    // The engine's first evaluation would compile on this device whatever the warm-up's helper
    // has not compiled yet, again: it waits for the helper instead (the race above did not).
    await started?.compiled;
    const createGpuEngine = environment.createGpuEngine ?? (await import('./gpu-engine')).createGpuTrainingEngine;
    const engine = (await createGpuEngine(ctx, shape, hyperparameters, dataset)) as TrainingEngine<unknown>;
    return {
      engine,
      adapter: ctx.adapterInfo,
      close() {
        engine.destroy();
        ctx.destroy();
      },
    };
  } catch (error) {
    ctx.destroy();
    throw error;
  }
}
