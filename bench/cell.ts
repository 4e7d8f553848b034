/**
 * One cell of the benchmark — one implementation at one size — wherever it runs (a Node child
 * process or the benchmark page in Chromium): set up, time the first evaluation alone as the
 * warm-up, then time up to `reps` more while the cell's budget lasts, and compare the cost with
 * the float64 reference. Every evaluation is announced before it starts and after it ends, so
 * the runner, in another process, can give up on one that runs past the time box.
 */
import { sparseAutoencoderCost } from '../src/reference/autoencoder';
import {
  checkCost,
  hyperparameters,
  median,
  sizes,
  type AdapterSummary,
  type CellEvent,
  type CellRequest,
  type CellResult,
  type ImplName,
} from './config';
import { benchInputs, type BenchInputs } from './data';
import { medianProfile, type Profile } from '../src/gpu/profile';

/** One implementation, set up for one size. */
export interface Evaluator {
  /** One evaluation of J(θ) and ∇J(θ); resolves with J once all of the work has completed. */
  evaluate(): Promise<number>;
  destroy(): void | Promise<void>;
  /** The adapter the implementation computes on, when it uses one. */
  adapter?: AdapterSummary | null;
  notes?: string[];
  /** One evaluation kernel by kernel (src/gpu/profile.ts), where the implementation has kernels. */
  profile?(): Promise<Profile>;
}

export type EvaluatorFactory = (impl: ImplName, inputs: BenchInputs) => Promise<Evaluator>;

export type Reporter = (event: CellEvent) => void | Promise<void>;

const now = (): number => performance.now();

export async function runCell(request: CellRequest, factory: EvaluatorFactory, report: Reporter): Promise<CellResult> {
  const { impl, reps, budgetMs } = request;
  const size = sizes[request.size];
  const inputs = benchInputs(size);
  // The float64 cost to check against, when the runner does not know it yet: computed before
  // the implementation is set up, so no heavy synchronous work runs while a GPU device is live
  // (Dawn on lavapipe in Node has crashed on CPU-heavy JavaScript between GPU calls).
  const referenceCost =
    impl === 'cpu-reference'
      ? undefined
      : (request.referenceCost ??
        sparseAutoencoderCost(inputs.theta, inputs.shape, hyperparameters, inputs.dataset).cost);
  const setupStart = now();
  const evaluator = await factory(impl, inputs);
  try {
    const setupMs = now() - setupStart;
    await report({ type: 'setup', ms: setupMs });

    const { first, samplesMs } = await timeEvaluations(evaluator, reps, budgetMs, report);
    const profile = request.profiles && evaluator.profile ? await profileEvaluations(evaluator.profile, request.profiles, report) : undefined;

    return {
      impl,
      size: size.name,
      setupMs,
      firstMs: first.ms,
      samplesMs,
      medianMs: median(samplesMs),
      cost: first.cost,
      // The reference is the reference: its own cost is what the others are checked against.
      costCheck: referenceCost === undefined ? null : checkCost(first.cost, referenceCost),
      referenceCost: impl === 'cpu-reference' ? first.cost : undefined,
      adapter: evaluator.adapter ?? null,
      notes: evaluator.notes,
      ...(profile ? { profile } : {}),
    };
  } finally {
    await evaluator.destroy();
  }
}

/**
 * The timing of a cell: the first evaluation alone (the warm-up: shader compilation, first
 * allocations, JIT), then up to `reps` more, stopping early where the next would end past
 * `budgetMs` (warm-up included). Every evaluation is announced before it starts and after it
 * ends. Also used by the training rows (bench/training.ts) for their lower bound.
 */
export async function timeEvaluations(
  evaluator: Evaluator,
  reps: number,
  budgetMs: number,
  report: Reporter,
): Promise<{ first: { ms: number; cost: number }; samplesMs: number[] }> {
  const timed = async (index: number): Promise<{ ms: number; cost: number }> => {
    await report({ type: 'eval-start', index });
    const t0 = now();
    const cost = await evaluator.evaluate();
    const ms = now() - t0;
    await report({ type: 'eval-end', index, ms });
    return { ms, cost };
  };

  const cellStart = now();
  const first = await timed(0);
  const samplesMs: number[] = [];
  for (let i = 1; i <= reps; i++) {
    // Fewer repetitions when one is slow: stop where the next would end past the budget.
    const estimate = samplesMs.length > 0 ? median(samplesMs) : first.ms;
    if (samplesMs.length > 0 && now() - cellStart + estimate > budgetMs) break;
    samplesMs.push((await timed(i)).ms);
  }
  return { first, samplesMs };
}

/**
 * `--profile`: after the timings (which it must not disturb: a profiled evaluation runs each
 * kernel in a pass of its own), `count` evaluations kernel by kernel, each kernel's median.
 */
async function profileEvaluations(profile: () => Promise<Profile>, count: number, report: Reporter): Promise<Profile> {
  const profiles: Profile[] = [];
  for (let i = 0; i < count; i++) {
    const p = await profile();
    profiles.push(p);
    await report({ type: 'profile', index: i, ms: p.steps.reduce((s, k) => s + k.ms, 0) });
  }
  return medianProfile(profiles);
}
