/**
 * One training run, on any engine (CPU reference or GPU): L-BFGS, full-batch gradient descent,
 * mini-batch SGD with momentum, or Adam. Reports progress every iteration, stops cleanly when
 * cancelled, hands out checkpoints periodically and when stopped, and resumes from one. With
 * the same seed on the same engine it is reproducible.
 */
import { countersSince, type GpuCounters } from '../gpu/counters';
import { DEFAULT_CORRECTIONS } from '../optim/lbfgs';
import { runLbfgs } from '../optim/lbfgs-run';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot } from '../optim/lbfgs-snapshot';
import type { CostParts } from '../reference/autoencoder';
import { Random } from '../random';
import type { Checkpoint } from './checkpoint';
import type { TrainConfig } from './config';
import type { DeviceDescription, TrainingEngine } from './engine';

export interface TrainingProgress {
  /** Iterations completed. */
  iteration: number;
  totalIterations: number;
  evaluations: number;
  /** J at the current θ (for mini-batch methods: on the batch just used). */
  cost: number;
  parts?: CostParts;
  elapsedSeconds: number;
  /** θ now, read back (a wait on a GPU: for occasional views, not every report). */
  readTheta(): Promise<Float64Array>;
}

/** The device work of the training loop (GPU engines), for reports and budgets. */
export interface TrainingWork extends GpuCounters {
  /** GPU time as a share of the loop's wall time, where timestamp queries measured it. */
  gpuShare?: number;
}

export interface TrainingResult {
  theta: Float64Array;
  initialCost: number;
  /** J over the whole data set at the final θ. */
  finalCost: number;
  parts: CostParts;
  meanActivation: Float64Array;
  iterations: number;
  evaluations: number;
  seconds: number;
  /** Why the optimizer stopped ('max-iterations', 'cancelled', …). */
  exitReason: string;
  cancelled: boolean;
  device: DeviceDescription;
  /** What the training loop asked of the GPU (absent on the CPU engine). */
  work?: TrainingWork;
  /**
   * Set when the cost became non-finite (exitReason 'non-finite'): the iteration whose θ had the
   * first non-finite cost. θ, iterations and the checkpoint are then those of the step before.
   */
  divergedAt?: number;
}

export interface TrainOptions {
  config: TrainConfig;
  /** L-BFGS pairs kept (minFunc's Corr). */
  corrections?: number;
  initialTheta: Float64Array;
  /** Continue this run instead of starting from initialTheta. */
  resumeFrom?: Checkpoint;
  onProgress?: (progress: TrainingProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /** Hand out a checkpoint every this many iterations (0 = only when stopped or done). */
  checkpointEvery?: number;
  /**
   * Or at most this often, in seconds of training (0 = off). A checkpoint reads θ and, for
   * L-BFGS, its 200 correction vectors back from the GPU: 250 MB for the MNIST model, too much
   * to do every few iterations.
   */
  checkpointSeconds?: number;
  onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
}

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export async function train<V>(engine: TrainingEngine<V>, options: TrainOptions): Promise<TrainingResult> {
  const { config, resumeFrom } = options;
  const started = performance.now();
  const priorSeconds = resumeFrom?.elapsedSeconds ?? 0;
  const elapsed = () => priorSeconds + (performance.now() - started) / 1000;
  const countersAtStart = engine.counters();

  const run =
    config.optimizer === 'lbfgs'
      ? await runLbfgsTraining(engine, options, elapsed)
      : await runFirstOrder(engine, options, elapsed);
  await engine.finish();
  const loopSeconds = (performance.now() - started) / 1000;
  const countersAtEnd = engine.counters();
  let work: TrainingWork | undefined;
  if (countersAtStart && countersAtEnd) {
    work = countersSince(countersAtStart, countersAtEnd);
    if (work.gpuSeconds > 0) work.gpuShare = work.gpuSeconds / loopSeconds;
  }

  const summary = await engine.summarize(run.theta);
  return {
    theta: run.theta,
    initialCost: run.initialCost,
    finalCost: summary.cost,
    parts: summary.parts,
    meanActivation: summary.meanActivation,
    iterations: run.iterations,
    evaluations: run.evaluations,
    seconds: elapsed(),
    exitReason: run.exitReason,
    cancelled: run.exitReason === 'cancelled',
    device: engine.device,
    work,
    divergedAt: run.divergedAt,
  };
}

interface RunOutcome {
  /** For a run that diverged: the last θ with a finite cost. */
  theta: Float64Array;
  /** The iteration whose θ first had a non-finite cost, when the run diverged. */
  divergedAt?: number;
  initialCost: number;
  iterations: number;
  evaluations: number;
  exitReason: string;
}

/** Says when `checkpointSeconds` of training have passed since the last checkpoint. */
function checkpointClock(options: TrainOptions, elapsed: () => number): { due(): boolean; reset(): void } {
  const interval = options.checkpointSeconds ?? 0;
  let last = elapsed();
  return {
    due: () => interval > 0 && elapsed() - last >= interval,
    reset: () => void (last = elapsed()),
  };
}

function checkpointFrom(
  options: TrainOptions,
  engine: TrainingEngine<unknown>,
  fields: Pick<Checkpoint, 'iteration' | 'evaluations' | 'initialCost' | 'cost' | 'theta' | 'state' | 'lbfgs'>,
  elapsedSeconds: number,
): Checkpoint {
  return { config: options.config, shape: engine.shape, elapsedSeconds, ...fields };
}

async function runLbfgsTraining<V>(engine: TrainingEngine<V>, options: TrainOptions, elapsed: () => number): Promise<RunOutcome> {
  const { config, resumeFrom } = options;
  const every = options.checkpointEvery ?? 0;
  const clock = checkpointClock(options, elapsed);

  if (config.iterations === 0 && !resumeFrom) {
    const { cost } = await engine.summarize(options.initialTheta);
    return { theta: options.initialTheta.slice(), initialCost: cost, iterations: 0, evaluations: 1, exitReason: 'evaluation-only' };
  }
  if (resumeFrom && !resumeFrom.lbfgs) throw new Error('the checkpoint holds no L-BFGS state; resume it with the optimizer it was made with');

  const { onCheckpoint } = options;
  const run = await runLbfgs(await engine.lbfgs(options.corrections ?? DEFAULT_CORRECTIONS), {
    maxIterations: config.iterations,
    signal: options.signal,
    from: resumeFrom ? { snapshot: decodeLbfgsSnapshot(resumeFrom.lbfgs!) } : { x0: options.initialTheta },
    initialCost: resumeFrom?.initialCost,
    onProgress: (p) =>
      options.onProgress?.({
        iteration: p.iteration,
        totalIterations: config.iterations,
        evaluations: p.evaluations,
        cost: p.cost,
        parts: p.parts,
        elapsedSeconds: elapsed(),
        readTheta: p.readX,
      }),
    snapshotDue: (iteration) => (every > 0 && iteration % every === 0) || clock.due() || iteration === config.iterations,
    onSnapshot: onCheckpoint
      ? async (snapshot, initialCost) => {
          clock.reset();
          const { iteration, evaluations, cost } = snapshot;
          const fields = { iteration, evaluations, initialCost, cost, theta: snapshot.x, state: {}, lbfgs: encodeLbfgsSnapshot(snapshot) };
          await onCheckpoint(checkpointFrom(options, engine, fields, elapsed()));
        }
      : undefined,
  });
  const { result } = run;
  return { theta: run.x, initialCost: run.initialCost, iterations: result.iterations, evaluations: result.evaluations, exitReason: result.exitReason, divergedAt: run.divergedAt };
}

/**
 * The mini-batch schedule: the examples are cut into ⌊m / batchSize⌋ contiguous batches
 * (the data is shuffled once when loaded), visited in a fresh seeded order each epoch, so
 * iteration k's batch depends only on (seed, k) and a resumed run continues identically.
 */
export function batchForIteration(
  iteration: number,
  examples: number,
  batchSize: number,
  seed: number,
): { start: number; count: number } {
  const size = Math.min(batchSize, examples);
  const batches = Math.floor(examples / size);
  const epoch = Math.floor(iteration / batches);
  const order = Array.from({ length: batches }, (_, i) => i);
  new Random((seed * 0x9e3779b1 + epoch) >>> 0).shuffle(order);
  return { start: order[iteration % batches] * size, count: size };
}

/**
 * Steps per wait for the first-order methods: a group of steps is recorded (on a GPU: into one
 * submission) and only its last cost is read back, at most about every GROUP_SECONDS. The group
 * grows while a group takes less than half that and shrinks when it takes more than twice.
 */
const GROUP_SECONDS = 0.1;
const MAX_GROUP = 1024;

async function runFirstOrder<V>(engine: TrainingEngine<V>, options: TrainOptions, elapsed: () => number): Promise<RunOutcome> {
  const { config, resumeFrom, signal } = options;
  const { vectors } = engine;
  const every = options.checkpointEvery ?? 0;
  const clock = checkpointClock(options, elapsed);
  const theta = vectors.create();
  const grad = vectors.create();
  const stateNames = config.optimizer === 'adam' ? ['m', 'v'] : config.optimizer === 'sgd' ? ['velocity'] : [];
  const state = Object.fromEntries(stateNames.map((name) => [name, vectors.create()]));

  let iteration = 0;
  let evaluations = 0;
  let initialCost = NaN;
  let cost = NaN;
  if (resumeFrom) {
    vectors.write(theta, resumeFrom.theta);
    for (const name of stateNames) {
      const saved = resumeFrom.state[name];
      if (!saved) throw new Error(`the checkpoint holds no '${name}' state for ${config.optimizer}`);
      vectors.write(state[name], saved);
    }
    ({ iteration, evaluations, initialCost, cost } = resumeFrom);
  } else {
    vectors.write(theta, options.initialTheta);
  }

  const batchOf = (k: number) =>
    config.optimizer === 'gd' ? undefined : batchForIteration(k, engine.examples, config.batchSize, config.seed);

  /** Records iteration k: the evaluation at θ, then the update. */
  const recordStep = (k: number) => {
    engine.record(theta, grad, batchOf(k));
    switch (config.optimizer) {
      case 'gd':
        vectors.axpy(-config.learningRate, grad, theta); // θ ← θ − α∇J, exactly
        break;
      case 'sgd': {
        const velocity = state.velocity; // v ← μv − α∇J; θ ← θ + v
        vectors.scale(config.momentum, velocity);
        vectors.axpy(-config.learningRate, grad, velocity);
        vectors.axpy(1, velocity, theta);
        break;
      }
      case 'adam':
        vectors.adamStep(theta, grad, state.m, state.v, { learningRate: config.learningRate, ...ADAM_DEFAULTS, step: k + 1 });
        break;
      default:
        throw new Error(`not a first-order optimizer: ${config.optimizer}`);
    }
  };

  const makeCheckpoint = async (): Promise<Checkpoint> => {
    const saved: Record<string, Float64Array> = {};
    for (const name of stateNames) saved[name] = await vectors.read(state[name]);
    return checkpointFrom(
      options,
      engine,
      { iteration, evaluations, initialCost, cost, theta: await vectors.read(theta), state: saved },
      elapsed(),
    );
  };

  let exitReason = 'max-iterations';
  if (config.iterations === 0) {
    initialCost = (await engine.summarize(await vectors.read(theta))).cost;
    evaluations = 1;
    exitReason = 'evaluation-only';
  }
  // Where a diverging run falls back to: θ_k and the optimizer's state at the latest step k whose
  // cost J(θ_k) came back finite. Two sets, so that a group's copy (made before its last step)
  // replaces the last good one only once that group's cost is seen to be finite.
  const snapshotVectors = () => ({ theta: vectors.create(), state: Object.fromEntries(stateNames.map((n) => [n, vectors.create()])), iteration: -1, cost: NaN });
  let good = snapshotVectors();
  let candidate = snapshotVectors();
  const copyInto = (to: ReturnType<typeof snapshotVectors>, k: number) => {
    vectors.copy(to.theta, theta);
    for (const name of stateNames) vectors.copy(to.state[name], state[name]);
    to.iteration = k;
  };
  const startIteration = iteration;
  const startEvaluations = evaluations;
  let divergedAt: number | undefined;

  const restore = (from: ReturnType<typeof snapshotVectors>) => {
    vectors.copy(theta, from.theta);
    for (const name of stateNames) vectors.copy(state[name], from.state[name]);
  };

  /**
   * After a group ended with a non-finite cost: replays from the last good step, one step and
   * one read-back at a time, to the first non-finite cost, and stops at the step before it.
   * (The steps are deterministic, so the replay meets the same values.)
   */
  const fallBack = async (groupEnd: number) => {
    if (good.iteration < 0) {
      // The run's first step: J at the starting θ is itself not finite.
      restore(candidate);
      divergedAt = candidate.iteration;
      iteration = candidate.iteration;
      evaluations = startEvaluations + 1;
      return;
    }
    restore(good);
    recordStep(good.iteration); // J(θ_good) is known to be finite; this takes θ one step on
    let k = good.iteration + 1;
    for (; k < groupEnd; k++) {
      copyInto(candidate, k);
      recordStep(k);
      const { cost: c } = await engine.lastEvaluation();
      if (!Number.isFinite(c)) break;
      candidate.cost = c;
      [good, candidate] = [candidate, good];
    }
    divergedAt = k;
    restore(good);
    iteration = good.iteration;
    evaluations = startEvaluations + (good.iteration + 1 - startIteration);
    cost = good.cost;
  };

  // The first group is one step, so that its cost is the cost at θ₀.
  let group = 1;
  while (iteration < config.iterations) {
    await new Promise((resolve) => setTimeout(resolve, 0)); // signals and page events get a turn
    if (signal?.aborted) {
      exitReason = 'cancelled';
      break;
    }
    let end = Math.min(config.iterations, iteration + group);
    if (every > 0) end = Math.min(end, (Math.floor(iteration / every) + 1) * every);
    const groupStarted = performance.now();
    for (let k = iteration; k < end; k++) {
      if (k === end - 1) copyInto(candidate, k);
      recordStep(k);
    }
    const last = await engine.lastEvaluation();
    evaluations += end - iteration;
    iteration = end;
    cost = last.cost;
    if (!Number.isFinite(cost)) {
      exitReason = 'non-finite';
      await fallBack(end);
      if (options.onCheckpoint && good.iteration >= 0) await options.onCheckpoint(await makeCheckpoint());
      break;
    }
    candidate.cost = cost;
    [good, candidate] = [candidate, good];
    if (Number.isNaN(initialCost)) initialCost = cost;
    await options.onProgress?.({
      iteration,
      totalIterations: config.iterations,
      evaluations,
      cost,
      parts: last.parts,
      elapsedSeconds: elapsed(),
      readTheta: () => vectors.read(theta),
    });
    if (options.onCheckpoint && ((every > 0 && iteration % every === 0) || clock.due() || iteration === config.iterations)) {
      await options.onCheckpoint(await makeCheckpoint());
      clock.reset();
    }
    const took = (performance.now() - groupStarted) / 1000;
    if (took < GROUP_SECONDS / 2) group = Math.min(MAX_GROUP, group * 2);
    else if (took > 2 * GROUP_SECONDS) group = Math.max(1, Math.floor(group / 2));
  }
  if (exitReason === 'cancelled' && options.onCheckpoint && iteration > startIteration) await options.onCheckpoint(await makeCheckpoint());
  const finalTheta = await vectors.read(theta);
  for (const set of [good, candidate]) for (const v of [set.theta, ...Object.values(set.state)]) vectors.free(v);
  for (const v of [theta, grad, ...Object.values(state)]) vectors.free(v);
  return { theta: finalTheta, initialCost, iterations: iteration, evaluations, exitReason, divergedAt };
}

/** A run's work for report.json: totals, per iteration and per evaluation. */
export function workReport(result: TrainingResult): Record<string, unknown> {
  const { work, iterations, evaluations, seconds } = result;
  const per = (n: number, d: number) => (d > 0 ? n / d : null);
  if (!work) return { evaluations, evaluationsPerIteration: per(evaluations, iterations), seconds };
  return {
    evaluations,
    readBacks: work.readBacks,
    dispatches: work.dispatches,
    submissions: work.submissions,
    perIteration: {
      evaluations: per(evaluations, iterations),
      readBacks: per(work.readBacks, iterations),
      dispatches: per(work.dispatches, iterations),
      submissions: per(work.submissions, iterations),
    },
    readBacksPerEvaluation: per(work.readBacks, evaluations),
    gpuSeconds: work.gpuShare === undefined ? null : work.gpuSeconds,
    gpuShareOfWallTime: work.gpuShare ?? null,
  };
}

/** The same in one line, for the end of a run. */
export function describeWork(result: TrainingResult): string {
  const { work, iterations, evaluations } = result;
  const it = Math.max(1, iterations);
  if (!work) return `${evaluations} evaluations (${(evaluations / it).toFixed(2)} per iteration) on the CPU`;
  const gpu = work.gpuShare === undefined ? 'no timestamp queries on this adapter' : `GPU busy ${(100 * work.gpuShare).toFixed(0)}% of the time`;
  return (
    `${evaluations} evaluations, ${work.readBacks} read-backs, ${work.dispatches} dispatches, ${work.submissions} submissions ` +
    `(per iteration ${(evaluations / it).toFixed(2)}, ${(work.readBacks / it).toFixed(2)}, ${(work.dispatches / it).toFixed(1)}, ` +
    `${(work.submissions / it).toFixed(2)}); ${gpu}`
  );
}
