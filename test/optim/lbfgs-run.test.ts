/**
 * The one L-BFGS run (src/optim/lbfgs-run.ts) that the trainer and the classification stages
 * share: snapshots when asked and when stopped, a stop inside a line search keeps the last
 * accepted iterate, a resumed run repeats the uninterrupted one bit for bit, and a run that
 * diverges reports where and keeps the last finite point; the event loop gets a turn from a
 * run whose backend never gives it one, and no extra one from a run whose backend does.
 */
import { describe, expect, it } from 'vitest';
import type { LbfgsSnapshot } from '../../src/optim/lbfgs';
import { costAndGradientOf, cpuLbfgsBackend } from '../../src/optim/lbfgs-cpu';
import { eventLoopYielder, runLbfgs, type LoopTurns } from '../../src/optim/lbfgs-run';
import { decodeLbfgsSnapshot, encodeLbfgsSnapshot } from '../../src/optim/lbfgs-snapshot';

/** Chained Rosenbrock: enough iterations, with line searches of several trials. */
function rosenbrock(x: Float64Array): { cost: number; grad: Float64Array } {
  const grad = new Float64Array(x.length);
  let cost = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    cost += 100 * a * a + b * b;
    grad[i] += -400 * x[i] * a - 2 * b;
    grad[i + 1] += 200 * a;
  }
  return { cost, grad };
}

const n = 6;
const x0 = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 1.2 : -1.2));
const backend = (evaluate = rosenbrock) => cpuLbfgsBackend(n, costAndGradientOf(evaluate), 4);

describe('runLbfgs', () => {
  it('reports the start and every iteration, snapshots when due, and disposes of the backend', async () => {
    const b = backend();
    let disposed = false;
    const dispose = b.dispose.bind(b);
    b.dispose = () => ((disposed = true), dispose());
    const seen: number[] = [];
    const snapshots: number[] = [];
    const run = await runLbfgs(b, {
      maxIterations: 12,
      from: { x0 },
      onProgress: (p) => void seen.push(p.iteration),
      snapshotDue: (k) => k % 5 === 0,
      onSnapshot: (s) => void snapshots.push(s.iteration),
    });
    expect(run.exitReason).toBe('max-iterations');
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(snapshots).toEqual([5, 10]);
    expect(run.initialCost).toBe(rosenbrock(x0).cost);
    expect(disposed).toBe(true);
  });

  it('a stop after an iteration snapshots it, and resuming from that snapshot repeats the uninterrupted run bit for bit', async () => {
    const whole = await runLbfgs(backend(), { maxIterations: 20, from: { x0 } });
    const controller = new AbortController();
    let saved: LbfgsSnapshot | undefined;
    const stopped = await runLbfgs(backend(), {
      maxIterations: 20,
      signal: controller.signal,
      from: { x0 },
      onProgress: (p) => {
        if (p.iteration === 7) controller.abort();
      },
      onSnapshot: (s) => void (saved = s),
    });
    expect(stopped.exitReason).toBe('cancelled');
    expect(saved?.iteration).toBe(7);
    const resumed = await runLbfgs(backend(), { maxIterations: 20, from: { snapshot: decodeLbfgsSnapshot(encodeLbfgsSnapshot(saved!)) }, initialCost: stopped.initialCost });
    expect(resumed.result.iterations).toBe(whole.result.iterations);
    expect(Array.from(resumed.x)).toEqual(Array.from(whole.x));
    expect(resumed.initialCost).toBe(whole.initialCost);
  });

  it('a stop inside a line search snapshots the last accepted iterate', async () => {
    const controller = new AbortController();
    let evaluations = 0;
    let saved: LbfgsSnapshot | undefined;
    const accepted: Float64Array[] = [];
    const b = backend((x) => {
      // The 12th evaluation is inside some iteration's line search or direction; stop there.
      if (++evaluations === 12) controller.abort();
      return rosenbrock(x);
    });
    const run = await runLbfgs(b, {
      maxIterations: 50,
      signal: controller.signal,
      from: { x0 },
      onProgress: async (p) => void accepted.push(await p.readX()),
      onSnapshot: (s) => void (saved = s),
    });
    expect(run.exitReason).toBe('cancelled');
    expect(saved?.iteration).toBe(run.result.iterations);
    expect(Array.from(saved!.x)).toEqual(Array.from(accepted.at(-1)!));
    expect(Array.from(run.x)).toEqual(Array.from(accepted.at(-1)!));
  });

  it('a stop before the first iteration leaves no snapshot', async () => {
    const controller = new AbortController();
    controller.abort();
    const snapshots: LbfgsSnapshot[] = [];
    const run = await runLbfgs(backend(), { maxIterations: 5, signal: controller.signal, from: { x0 }, onSnapshot: (s) => void snapshots.push(s) });
    expect(run.exitReason).toBe('cancelled');
    expect(run.result.iterations).toBe(0);
    expect(snapshots).toHaveLength(0);
  });

  it('a direction that turns non-finite ends the run at the last accepted point, with where it diverged and its snapshot', async () => {
    // After the 4th iteration the backend's direction is reported non-finite (as a gradient
    // that overflows in the two-loop recursion would make it).
    const b = backend();
    let accepted = 0;
    const accept = b.accept.bind(b);
    b.accept = (trial, pair) => ((accepted += 1), accept(trial, pair));
    const directionAndTrial = b.directionAndTrial.bind(b);
    b.directionAndTrial = async (t) => {
      const made = await directionAndTrial(t);
      return accepted >= 4 ? { ...made, gtd: NaN } : made;
    };
    const points: Float64Array[] = [];
    const snapshots: LbfgsSnapshot[] = [];
    const run = await runLbfgs(b, {
      maxIterations: 30,
      from: { x0 },
      onProgress: async (p) => void points.push(await p.readX()),
      onSnapshot: (s) => void snapshots.push(s),
    });
    expect(run.exitReason).toBe('non-finite');
    expect(run.result.iterations).toBe(4);
    expect(run.divergedAt).toBe(5);
    expect(snapshots.map((s) => s.iteration)).toEqual([4]);
    expect(Array.from(snapshots[0].x)).toEqual(Array.from(points[4]));
    expect(Array.from(run.x)).toEqual(Array.from(points[4]));
  });

  it('a starting point whose cost is not finite is the initial cost, and nothing is snapshot', async () => {
    const snapshots: LbfgsSnapshot[] = [];
    const run = await runLbfgs(backend((x) => ({ cost: Infinity, grad: rosenbrock(x).grad })), { maxIterations: 5, from: { x0 }, onSnapshot: (s) => void snapshots.push(s) });
    expect(run.exitReason).toBe('non-finite');
    expect(run.initialCost).toBe(Infinity);
    expect(run.divergedAt).toBe(1);
    expect(snapshots).toHaveLength(0);
  });
});

describe('eventLoopYielder', () => {
  /** A clock moved by hand, and the timers set on it, run when the test says the loop turns. */
  function manualTurns(): LoopTurns & { ms: number; pending: (() => void)[]; turnLoop(): void } {
    const clock = {
      ms: 0,
      pending: [] as (() => void)[],
      now: () => clock.ms,
      turn: (then: () => void) => void clock.pending.push(then),
      turnLoop: () => clock.pending.splice(0).forEach((then) => then()),
    };
    return clock;
  }
  /** Whether a call of `yieldNow` waits for a turn of the loop (then the loop turns). */
  async function waits(yieldNow: () => Promise<void>, clock: ReturnType<typeof manualTurns>): Promise<boolean> {
    let done = false;
    const call = yieldNow().then(() => void (done = true));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    if (done) return false;
    clock.turnLoop();
    await call;
    return true;
  }

  it('waits for a turn every interval where the loop has not turned (CPU work), and never within one', async () => {
    const clock = manualTurns();
    const yieldNow = eventLoopYielder(30, clock);
    clock.ms = 10;
    expect(await waits(yieldNow, clock)).toBe(false);
    clock.ms = 31;
    expect(await waits(yieldNow, clock)).toBe(true);
    clock.ms = 50;
    expect(await waits(yieldNow, clock)).toBe(false);
    clock.ms = 62;
    expect(await waits(yieldNow, clock)).toBe(true);
  });

  it('does not wait where the loop has turned since the last check (a GPU backend waiting on its read-backs)', async () => {
    const clock = manualTurns();
    const yieldNow = eventLoopYielder(30, clock);
    for (const ms of [31, 62, 93]) {
      clock.turnLoop(); // a read-back's wait
      clock.ms = ms;
      expect(await waits(yieldNow, clock)).toBe(false);
    }
  });
});
