/**
 * One L-BFGS run as the trainer and every classification stage make it: from x0 or from a
 * snapshot, reporting progress after every iteration, giving the event loop a turn (a CPU
 * backend never waits on anything, so signals and page messages would otherwise never run),
 * stopping when the signal is aborted, and handing out snapshots when asked, when stopped, and
 * where the run ended early. minFunc's decisions are those of ./lbfgs.ts, untouched.
 */
import type { CostParts } from '../reference/autoencoder';
import { minimizeLbfgs, resumeLbfgs, type LbfgsBackend, type LbfgsExitReason, type LbfgsIteration, type LbfgsResult, type LbfgsSnapshot } from './lbfgs';

/** The clock and the event loop's turns, as eventLoopYielder sees them (tests inject their own). */
export interface LoopTurns {
  now(): number;
  /** Calls `then` on a later turn of the event loop (a timer). */
  turn(then: () => void): void;
}

const realTurns: LoopTurns = { now: () => performance.now(), turn: (then) => void setTimeout(then, 0) };

/**
 * Lets timers, signals (Ctrl-C) and page events run: CPU work awaited as already-resolved
 * promises would otherwise never give the event loop a turn. Yields where the loop has not
 * turned for `intervalMs`: a timer set at each check tells whether it has since. A GPU backend
 * waits for its read-backs on the loop, so the timer has fired and nothing waits here (a yield
 * is a timer's turn, a millisecond or more in Node, with the GPU idle: on the natural run,
 * Node + lavapipe under load, the CPU time between a read-back and the next submission fell from
 * 1.6–2.3 ms to 0.6 ms on average); a CPU backend yields every `intervalMs`.
 */
export function eventLoopYielder(intervalMs = 30, clock: LoopTurns = realTurns): () => Promise<void> {
  let last = clock.now();
  let turned = false;
  const watch = () => {
    turned = false;
    clock.turn(() => void (turned = true));
  };
  watch();
  return async () => {
    if (clock.now() - last < intervalMs) return;
    if (!turned) await new Promise<void>((resolve) => clock.turn(resolve));
    last = clock.now();
    watch();
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
