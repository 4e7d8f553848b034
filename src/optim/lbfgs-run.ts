/**
 * One L-BFGS run as the trainer and every classification stage make it: from x0 or from a
 * snapshot, reporting progress after every iteration, giving the event loop a turn (a CPU
 * backend never waits on anything, so signals and page messages would otherwise never run),
 * stopping when the signal is aborted, and handing out snapshots when asked, when stopped, and
 * where the run ended early. minFunc's decisions are those of ./lbfgs.ts, untouched.
 */
import type { CostParts } from '../reference/autoencoder';
import { minimizeLbfgs, resumeLbfgs, type LbfgsBackend, type LbfgsExitReason, type LbfgsIteration, type LbfgsResult, type LbfgsSnapshot } from './lbfgs';

/**
 * Lets timers, signals (Ctrl-C) and page events run: CPU work awaited as already-resolved
 * promises would otherwise never give the event loop a turn. Yields at most every 30 ms.
 */
export function eventLoopYielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 30) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = performance.now();
  };
}

export interface LbfgsRunProgress {
  /** Iterations completed (0: the starting point). */
  iteration: number;
  evaluations: number;
  cost: number;
  parts?: CostParts;
  /** x now, read back (on a GPU a wait: for occasional views). */
  readX(): Promise<Float64Array>;
}

export interface LbfgsRunOptions {
  maxIterations: number;
  signal?: AbortSignal;
  /** Where to start: a point, or a snapshot of a run to continue. */
  from: { x0: ArrayLike<number> } | { snapshot: LbfgsSnapshot };
  /** J at the run's first point, when continuing a run that knew it (NaN or absent: not known). */
  initialCost?: number;
  /** At the starting point (not on resume) and after every iteration. */
  onProgress?: (progress: LbfgsRunProgress) => void | Promise<void>;
  /**
   * Receives the optimizer's state: after iterations that `snapshotDue` picks, after the
   * iteration at which the run was stopped, and where it ended without one (a stop inside a
   * line search, a non-finite cost) if it got past where it started. Without it no state is
   * read back.
   */
  onSnapshot?: (snapshot: LbfgsSnapshot, initialCost: number) => void | Promise<void>;
  snapshotDue?: (iteration: number) => boolean;
}

export interface LbfgsRunResult {
  result: LbfgsResult;
  exitReason: LbfgsExitReason;
  /** The final iterate (for a run that diverged: the last one with a finite cost). */
  x: Float64Array;
  /** J at the run's first point. */
  initialCost: number;
  /** The iteration whose point first had a non-finite cost, when the run diverged. */
  divergedAt?: number;
}

/** Runs L-BFGS on the backend, which it disposes of when done. */
export async function runLbfgs(backend: LbfgsBackend, options: LbfgsRunOptions): Promise<LbfgsRunResult> {
  const { signal, onSnapshot } = options;
  const readX = () => backend.readX();
  let initialCost = options.initialCost ?? NaN;
  let lastSnapshotAt: number | undefined;
  const yieldNow = eventLoopYielder();
  const lbfgsOptions = {
    maxIterations: options.maxIterations,
    signal,
    onStart: async (start: { cost: number; parts?: CostParts }) => {
      initialCost = start.cost;
      await options.onProgress?.({ iteration: 0, evaluations: 1, cost: start.cost, parts: start.parts, readX });
    },
    onIteration: async (info: LbfgsIteration) => {
      // A resumed run that did not know its first cost counts from where it resumed.
      if (Number.isNaN(initialCost)) initialCost = info.previousCost;
      await yieldNow();
      await options.onProgress?.({ iteration: info.iteration, evaluations: info.evaluations, cost: info.cost, parts: info.parts, readX });
      const stopping = signal?.aborted === true;
      if (onSnapshot && (stopping || options.snapshotDue?.(info.iteration))) {
        lastSnapshotAt = info.iteration;
        await onSnapshot(await info.snapshot(), initialCost);
      }
      return !stopping;
    },
  };

  try {
    const from = options.from;
    const result = 'snapshot' in from ? await resumeLbfgs(backend, from.snapshot, lbfgsOptions) : await minimizeLbfgs(backend, from.x0, lbfgsOptions);
    // The starting point's cost itself was not finite: nothing was reported before.
    if (Number.isNaN(initialCost)) initialCost = result.cost;
    const x = await backend.readX();
    // Where the run ended early: after a non-finite cost (L-BFGS never accepts a non-finite
    // point, so x is the last finite one) or a stop inside a line search (x is the last
    // accepted iterate). A run stopped before its first iteration leaves no new state.
    const divergedAt = result.exitReason === 'non-finite' ? result.iterations + 1 : undefined;
    const startedAt = 'snapshot' in from ? from.snapshot.iteration : 0;
    const progressed = result.iterations > startedAt;
    const stoppedUnsaved = result.exitReason === 'cancelled' && lastSnapshotAt !== result.iterations;
    if (onSnapshot && progressed && (divergedAt !== undefined || stoppedUnsaved)) {
      await onSnapshot({ ...(await backend.read()), iteration: result.iterations, evaluations: result.evaluations, cost: result.cost }, initialCost);
    }
    return { result, exitReason: result.exitReason, x, initialCost, divergedAt };
  } finally {
    backend.dispose();
  }
}
