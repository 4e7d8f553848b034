/**
 * Paced read-backs. In Node, Dawn's binding polls with setImmediate from the moment a buffer's
 * map is asked for until it resolves, keeping a core busy: on a software adapter (lavapipe) that
 * is a core the shaders themselves would use. Measured on the 2-core machine without a GPU
 * (load ~7 from others, same process, alternating): one (10000, 784, 196) evaluation took a
 * median 1,881 ms with the map asked for at once and 1,182 ms after a timer's sleep of 0.8× the
 * recent wait; (10000, 64, 25) 19.9 → 18.8 ms.
 *
 * So a loop that waits for the same work again and again (an evaluation, an L-BFGS step) first
 * sleeps a fraction of the shortest of its recent waits, then maps. Browsers do not poll on the
 * page's thread (the GPU process does the work), so there it never sleeps. The first wait is not
 * kept (it holds the shaders' compilation). Where the work was already done when the sleep ended
 * (the map came within `OVERSLEPT_MS`), the sleep was too long and all that is known is that the
 * work took less: half the sleep is kept, so the pace comes down from a slow spell in a few
 * read-backs rather than the 0.8 per read-back that keeping the whole wait would give (which,
 * measured, left ten evaluations after a warm-up slower than unpaced ones).
 */

/** The share of the shortest recent wait spent asleep before mapping. */
export const SLEEP_FRACTION = 0.8;
/** Below this a timer is not worth it (setTimeout's own latency is about a millisecond). */
export const MIN_SLEEP_MS = 2;
/** How many of the latest waits the pace looks at. */
export const RECENT_WAITS = 4;
/** A map that resolves this soon after the sleep found the work done: the sleep was too long. */
export const OVERSLEPT_MS = 1;

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class ReadBackPacer {
  private readonly recent: number[] = [];
  private waits = 0;

  /** `polls`: whether waiting on a map keeps the thread busy (Node's Dawn; GpuContext.pollsWhileWaiting). */
  constructor(
    private readonly polls: boolean,
    private readonly clock: PacerClock = realClock,
  ) {}

  /** How long the next wait sleeps before it maps (0: it maps at once). */
  get sleepMs(): number {
    if (!this.polls || this.recent.length === 0) return 0;
    const ms = SLEEP_FRACTION * Math.min(...this.recent);
    return ms >= MIN_SLEEP_MS ? ms : 0;
  }

  /** Waits for `map` (called right after the work's submission), paced; records how long it took. */
  async wait(map: () => Promise<void>): Promise<void> {
    const start = this.clock.now();
    const sleep = this.sleepMs;
    if (sleep > 0) await this.clock.sleep(sleep);
    const awake = this.clock.now();
    await map();
    const end = this.clock.now();
    if (this.waits++ === 0) return;
    this.recent.push(sleep > 0 && end - awake < OVERSLEPT_MS ? (awake - start) / 2 : end - start);
    if (this.recent.length > RECENT_WAITS) this.recent.shift();
  }
}
