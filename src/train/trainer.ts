/**
 * One training run, on any engine (CPU reference or GPU): L-BFGS, full-batch gradient descent,
 * mini-batch SGD with momentum, or Adam. Reports progress every iteration, stops cleanly when
 * cancelled, hands out checkpoints periodically and when stopped, and resumes from one. With
 * the same seed on the same engine it is reproducible.
 */
import {
  decodeLbfgsSnapshot,
  encodeLbfgsSnapshot,
  minimizeLbfgs,
  resumeLbfgs,
  type LbfgsIteration,
  type LbfgsSnapshot,
} from '../optim/lbfgs';
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
}

export interface TrainOptions {
  config: TrainConfig;
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

/**
 * Lets timers, signals (Ctrl-C) and page events run: CPU work awaited as already-resolved
 * promises would otherwise never give the event loop a turn. Yields at most every 30 ms.
 */
function eventLoopYielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 30) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = performance.now();
  };
}

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export async function train<V>(engine: TrainingEngine<V>, options: TrainOptions): Promise<TrainingResult> {
  const { config, resumeFrom } = options;
  const started = performance.now();
  const priorSeconds = resumeFrom?.elapsedSeconds ?? 0;
  const elapsed = () => priorSeconds + (performance.now() - started) / 1000;

  const run =
    config.optimizer === 'lbfgs'
      ? await runLbfgs(engine, options, elapsed)
      : await runFirstOrder(engine, options, elapsed);

  const finalTheta = await engine.vectors.read(run.theta);
  const summary = await engine.summarize(run.theta);
  engine.vectors.free(run.theta);
  await engine.finish();
  return {
    theta: finalTheta,
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
  };
}

interface RunOutcome<V> {
  theta: V;
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

async function runLbfgs<V>(
  engine: TrainingEngine<V>,
  options: TrainOptions,
  elapsed: () => number,
): Promise<RunOutcome<V>> {
  const { config, resumeFrom, signal } = options;
  const every = options.checkpointEvery ?? 0;
  const clock = checkpointClock(options, elapsed);
  const objective = engine.objective();
  let initialCost = resumeFrom?.initialCost ?? NaN;
  let lastSnapshot: LbfgsSnapshot | undefined;
  const yieldNow = eventLoopYielder();

  const lbfgsOptions = {
    maxIterations: config.iterations,
    signal,
    onIteration: async (info: LbfgsIteration) => {
      if (Number.isNaN(initialCost)) initialCost = info.previousCost;
      await yieldNow();
      await options.onProgress?.({
        iteration: info.iteration,
        totalIterations: config.iterations,
        evaluations: info.evaluations,
        cost: info.cost,
        parts: engine.partsOf(info.cost),
        elapsedSeconds: elapsed(),
      });
      const due = (every > 0 && info.iteration % every === 0) || clock.due();
      const stopping = signal?.aborted === true;
      if (options.onCheckpoint && (due || stopping || info.iteration === config.iterations)) {
        lastSnapshot = await info.snapshot();
        clock.reset();
        await options.onCheckpoint(
          checkpointFrom(
            options,
            engine,
            {
              iteration: info.iteration,
              evaluations: info.evaluations,
              initialCost,
              cost: info.cost,
              theta: lastSnapshot.x,
              state: {},
              lbfgs: encodeLbfgsSnapshot(lastSnapshot),
            },
            elapsed(),
          ),
        );
      }
      return !stopping;
    },
  };

  if (config.iterations === 0 && !resumeFrom) {
    const theta = engine.vectors.create();
    engine.vectors.write(theta, options.initialTheta);
    const { cost } = await engine.summarize(theta);
    return { theta, initialCost: cost, iterations: 0, evaluations: 1, exitReason: 'evaluation-only' };
  }

  let result;
  if (resumeFrom) {
    if (!resumeFrom.lbfgs) throw new Error('the checkpoint holds no L-BFGS state; resume it with the optimizer it was made with');
    result = await resumeLbfgs(objective, decodeLbfgsSnapshot(resumeFrom.lbfgs), engine.vectors, lbfgsOptions);
  } else {
    const x0 = engine.vectors.create();
    engine.vectors.write(x0, options.initialTheta);
    result = await minimizeLbfgs(objective, x0, engine.vectors, lbfgsOptions);
    engine.vectors.free(x0);
  }
  if (Number.isNaN(initialCost)) initialCost = result.cost;
  // A run cancelled before its first checkpoint still leaves one, at the point it reached.
  if (options.onCheckpoint && result.exitReason === 'cancelled' && lastSnapshot?.iteration !== result.iterations) {
    const theta = await engine.vectors.read(result.x);
    await options.onCheckpoint(
      checkpointFrom(
        options,
        engine,
        {
          iteration: result.iterations,
          evaluations: result.evaluations,
          initialCost,
          cost: result.cost,
          theta,
          state: {},
          lbfgs: lastSnapshot && lastSnapshot.iteration === result.iterations ? encodeLbfgsSnapshot(lastSnapshot) : undefined,
        },
        elapsed(),
      ),
    );
  }
  return {
    theta: result.x,
    initialCost,
    iterations: result.iterations,
    evaluations: result.evaluations,
    exitReason: result.exitReason,
  };
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

async function runFirstOrder<V>(
  engine: TrainingEngine<V>,
  options: TrainOptions,
  elapsed: () => number,
): Promise<RunOutcome<V>> {
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

  const fullBatch = engine.objective();
  const batchObjectives = new Map<number, ReturnType<typeof engine.objective>>();
  const objectiveFor = (k: number) => {
    if (config.optimizer === 'gd') return fullBatch;
    const { start, count } = batchForIteration(k, engine.examples, config.batchSize, config.seed);
    let objective = batchObjectives.get(start);
    if (!objective) batchObjectives.set(start, (objective = engine.objective({ start, count })));
    return objective;
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
  const yieldNow = eventLoopYielder();
  if (config.iterations === 0) {
    initialCost = (await engine.summarize(theta)).cost;
    evaluations = 1;
    exitReason = 'evaluation-only';
  }
  while (iteration < config.iterations) {
    await yieldNow();
    if (signal?.aborted) {
      exitReason = 'cancelled';
      break;
    }
    cost = await objectiveFor(iteration).evaluate(theta, grad);
    evaluations++;
    if (!Number.isFinite(cost)) {
      exitReason = 'non-finite';
      break;
    }
    if (Number.isNaN(initialCost)) initialCost = cost;
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
        vectors.adamStep(theta, grad, state.m, state.v, {
          learningRate: config.learningRate,
          ...ADAM_DEFAULTS,
          step: iteration + 1,
        });
        break;
      default:
        throw new Error(`not a first-order optimizer: ${config.optimizer}`);
    }
    iteration++;
    await options.onProgress?.({
      iteration,
      totalIterations: config.iterations,
      evaluations,
      cost,
      parts: engine.partsOf(cost),
      elapsedSeconds: elapsed(),
    });
    if (options.onCheckpoint && ((every > 0 && iteration % every === 0) || clock.due() || iteration === config.iterations)) {
      await options.onCheckpoint(await makeCheckpoint());
      clock.reset();
    }
  }
  if (exitReason === 'cancelled' && options.onCheckpoint) await options.onCheckpoint(await makeCheckpoint());
  vectors.free(grad);
  for (const name of stateNames) vectors.free(state[name]);
  return { theta, initialCost, iterations: iteration, evaluations, exitReason };
}
