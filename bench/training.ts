/**
 * The training rows of `npm run bench` (GitHub issue 8, item 6): a whole training run with the
 * project's own trainer (src/train/trainer.ts) on the GPU engine, beside the lower bound
 * "evaluations × median evaluation time" measured in the same run, on the same data, θ and
 * hyperparameters, with the GPU pipeline alone (bench/impls/gpu.ts). Their ratio is the
 * training loop's overhead: the optimizer's own work, read-backs, submissions, progress.
 *
 * Shared by Node (bench/training-node.ts, in a child process) and the benchmark's training page
 * in Chromium (bench/pages/training.ts): imports nothing that needs Node or a browser.
 */
import { initializeParameters, type Shape } from '../src/reference/params';
import type { Dataset } from '../src/reference/autoencoder';
import { presets, type TrainConfig } from '../src/train/config';
import type { TrainingData } from '../src/train/data';
import { timeEvaluations, type Evaluator } from './cell';
import { median, type AdapterSummary, type CellEvent, type EnvName } from './config';

export type TrainingName = 'natural' | 'mnist';
export const trainingNames: readonly TrainingName[] = ['natural', 'mnist'];

/** What each training row trains: a preset of src/train/config.ts, as the command line would. */
export const trainingConfigs: Record<TrainingName, TrainConfig> = {
  // UFLDL's "Sparse Autoencoder" exercise: 10,000 8×8 whitened patches, 64-25, L-BFGS 400 iterations.
  natural: { ...presets['ufldl-natural'] },
  // UFLDL's "Vectorization" exercise: the 10,000 MNIST digits, 784-196; 50 iterations, not 400.
  mnist: { ...presets['ufldl-mnist'], iterations: 50 },
};

/** How each environment's training rows are made: which API, in which context. */
export const trainingPaths: Record<EnvName, string> = {
  node: "train() on createEngine('gpu') (src/train/engines-node.ts), Node child process",
  chromium: 'the trainer page worker (src/pages/trainer/worker.ts), headless Chromium',
};

/** What the runner asks for: one training row. */
export interface TrainingRequest {
  kind: 'training';
  name: TrainingName;
  /** Timed evaluations for the lower bound's median, at most: half before the training, half after. */
  reps: number;
  /** No further repetition once the timings (warm-ups included) would pass this; half each. */
  budgetMs: number;
}

/** Progress a training row reports, so the runner can log it and give up on a stuck one. */
export type TrainingEvent =
  | CellEvent
  | { type: 'phase'; text: string }
  | { type: 'progress'; iteration: number; totalIterations: number; evaluations: number; cost: number; elapsedSeconds: number };

export type TrainingReporter = (event: TrainingEvent) => void | Promise<void>;

/**
 * The median evaluation time of the GPU pipeline on the row's own data, θ and hyperparameters.
 * Timed twice, half of the repetitions before the training and half after it, each time after
 * its own warm-up, so that a change in the machine's load during the row shows (these machines
 * are shared) and moves the median less.
 */
export interface EvaluationTiming {
  /** GPU context, data upload, pipelines (not timed as part of anything). */
  setupMs: number;
  /** The warm-up evaluation (before the training). */
  firstMs: number;
  /** The timed evaluations: those before the training, then those after it. */
  samplesMs: number[];
  /** The median of all of samplesMs: the lower bound's evaluation time. */
  medianMs: number;
  /** The medians of the samples before and after the training, when both were timed. */
  beforeMedianMs?: number;
  afterMedianMs?: number;
  /** J at the initial θ, from the first evaluation. */
  cost: number;
  notes?: string[];
}

/** The training run itself. */
export interface TrainingRun {
  /** Engine creation (GPU context, data upload, pipelines), before train() is called. */
  setupMs: number;
  /** TrainingResult.seconds: train()'s own clock, from its start until θ is read back at the end. */
  seconds: number;
  /**
   * Node: wall time around the train() call. Chromium: from posting 'start' to the worker
   * until its 'ended' message (data loading and engine setup in the worker included).
   */
  wallSeconds: number;
  iterations: number;
  evaluations: number;
  initialCost: number;
  finalCost: number;
  exitReason: string;
  /** TrainingResult.work (read-backs, dispatches, submissions, …) when the trainer reports it. */
  counters?: Record<string, number>;
  /** The engine's adapter string (TrainingEngine.device.adapter). */
  device?: string;
}

/** What a training row's cell returns. */
export interface TrainingCellResult {
  name: TrainingName;
  preset: string;
  /** How the run was made: which API, in which context. */
  path: string;
  data: string;
  examples: number;
  visibleSize: number;
  hiddenSize: number;
  /** Loading the data (decoding, whitening, sampling patches / parsing the digits). */
  dataMs: number;
  adapter: AdapterSummary | null;
  evaluation: EvaluationTiming;
  training: TrainingRun;
  /** The same run by a peer on the same data and θ (Node: numpy float32 + scipy's L-BFGS-B), or why not. */
  peer?: PeerRun | { skipped: string };
  notes?: string[];
}

export interface PeerRun {
  what: string;
  seconds: number;
  iterations: number;
  evaluations: number;
  finalCost: number;
  message: string;
}

export interface RowInputs {
  config: TrainConfig;
  shape: Shape;
  dataset: Dataset;
  theta: Float64Array;
}

/** The model shape and the initial θ of a run on these data, as src/cli/train.ts makes them. */
export function rowInputs(config: TrainConfig, data: TrainingData): RowInputs {
  const shape: Shape = { visibleSize: data.dataset.visibleSize, hiddenSize: config.hiddenSize };
  return { config, shape, dataset: data.dataset, theta: initializeParameters(shape, config.seed) };
}

/** Half of a row's repetitions and budget: for the timing before the training, and after it. */
export function halfOf(request: TrainingRequest): TrainingRequest {
  return { ...request, reps: Math.max(1, Math.ceil(request.reps / 2)), budgetMs: request.budgetMs / 2 };
}

/** One timing of the GPU pipeline's evaluation on the row's inputs: warm-up, then up to `reps` more. */
export async function timeRowEvaluations(
  inputs: RowInputs,
  request: Pick<TrainingRequest, 'reps' | 'budgetMs'>,
  makeEvaluator: (inputs: RowInputs) => Promise<Evaluator>,
  report: TrainingReporter,
): Promise<{ timing: EvaluationTiming; adapter: AdapterSummary | null }> {
  const setupStart = performance.now();
  const evaluator = await makeEvaluator(inputs);
  try {
    const setupMs = performance.now() - setupStart;
    await report({ type: 'setup', ms: setupMs });
    const { first, samplesMs } = await timeEvaluations(evaluator, request.reps, request.budgetMs, report);
    return {
      timing: { setupMs, firstMs: first.ms, samplesMs, medianMs: median(samplesMs), cost: first.cost, notes: evaluator.notes },
      adapter: evaluator.adapter ?? null,
    };
  } finally {
    await evaluator.destroy();
  }
}

/** The timings before and after the training as one: all samples, their median, both halves'. */
export function bracketed(before: EvaluationTiming, after: EvaluationTiming): EvaluationTiming {
  const samplesMs = [...before.samplesMs, ...after.samplesMs];
  return {
    ...before,
    samplesMs,
    medianMs: median(samplesMs),
    beforeMedianMs: before.medianMs,
    afterMedianMs: after.medianMs,
  };
}

/**
 * The device counters a TrainingResult (or the worker's run summary) carries, when it carries
 * them: every finite number in its `work` object (TrainingWork: readBacks, dispatches,
 * submissions, buffers and bind groups made, gpuSeconds, gpuShare) or `counters` object. Read
 * structurally, so this works whichever the trainer has, or neither (before the L-BFGS rewrite).
 */
export function readCounters(result: unknown): Record<string, number> | undefined {
  const r = result as { work?: unknown; counters?: unknown } | null | undefined;
  const counters = r?.work ?? r?.counters;
  if (!counters || typeof counters !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(counters)) if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  return Object.keys(out).length ? out : undefined;
}

/** Calls `report` with training progress at most once a second (and for the last iteration). */
export function throttledProgress(report: TrainingReporter, intervalMs = 1000) {
  let last = -Infinity;
  return (p: { iteration: number; totalIterations: number; evaluations: number; cost: number; elapsedSeconds: number }): void => {
    const now = performance.now();
    if (now - last < intervalMs && p.iteration < p.totalIterations) return;
    last = now;
    const { iteration, totalIterations, evaluations, cost, elapsedSeconds } = p;
    // Not awaited: the report must not hold the training loop up.
    void Promise.resolve(report({ type: 'progress', iteration, totalIterations, evaluations, cost, elapsedSeconds })).catch(() => {});
  };
}

/** One training row of bench.json (`trainingRows`). */
export interface TrainingRow {
  name: TrainingName;
  env: EnvName;
  preset: string;
  path: string;
  data?: string;
  m?: number;
  visible?: number;
  hidden?: number;
  iterations?: number;
  evaluations?: number;
  /** train()'s own time (TrainingResult.seconds). */
  trainingSeconds?: number;
  /** See TrainingRun.wallSeconds. */
  wallSeconds?: number;
  /** The GPU pipeline's median evaluation on the same data and θ, in the same process or page. */
  evaluationMedianMs?: number;
  evaluationReps?: number;
  evaluationFirstMs?: number;
  /** Before the training, then after it (see EvaluationTiming). */
  evaluationSamplesMs?: number[];
  evaluationMedianBeforeMs?: number;
  evaluationMedianAfterMs?: number;
  evaluationMinMs?: number;
  /** evaluations × evaluationMedianMs, in seconds: what the evaluations alone would take. */
  lowerBoundSeconds?: number;
  /** trainingSeconds / lowerBoundSeconds. */
  overhead?: number;
  /** counters ÷ iterations, for the counters the trainer reports. */
  perIteration?: { readBacks?: number; dispatches?: number; submissions?: number };
  counters?: Record<string, number>;
  initialCost?: number;
  finalCost?: number;
  /** J at the initial θ from the timing's first evaluation (should equal initialCost). */
  evaluationCost?: number;
  exitReason?: string;
  dataSeconds?: number;
  engineSetupSeconds?: number;
  adapter: AdapterSummary | null;
  device?: string;
  /** os.loadavg() on the runner before and after the row (the machine may be shared). */
  loadavg?: { start: number[]; end: number[] };
  error?: string;
  peer?: TrainingCellResult['peer'];
  notes?: string[];
}
