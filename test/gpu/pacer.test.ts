/**
 * Paced read-backs (src/gpu/pacer.ts): no sleep before the first wait, nor where waiting does not
 * poll (browsers), nor for short work; otherwise a fraction of the shortest recent wait, which
 * follows the work down and up.
 */
import { describe, expect, it } from 'vitest';
import { MIN_SLEEP_MS, ReadBackPacer, RECENT_WAITS, SLEEP_FRACTION, type PacerClock } from '../../src/gpu/pacer';

/** A clock that advances only when slept on or when the "GPU" takes time. */
function fakeClock(): PacerClock & { t: number; slept: number[] } {
  const clock = {
    t: 0,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

/** Work that ends `ms` after it was submitted (the wait starts at submission). */
function work(clock: { t: number }, ms: number): () => Promise<void> {
  const done = clock.t + ms;
  return async () => {
    clock.t = Math.max(clock.t, done);
  };
}

describe('ReadBackPacer', () => {
  it('sleeps a fraction of the shortest recent wait before mapping, where waiting polls', async () => {
    const clock = fakeClock();
    const pacer = new ReadBackPacer(true, clock);
    await pacer.wait(work(clock, 20));
    expect(clock.slept).toEqual([]);
    await pacer.wait(work(clock, 30));
    await pacer.wait(work(clock, 25));
    expect(clock.slept).toEqual([SLEEP_FRACTION * 20, SLEEP_FRACTION * 20]);
    expect(pacer.sleepMs).toBeCloseTo(SLEEP_FRACTION * 20);
  });

  it('follows the work down at once and up within RECENT_WAITS read-backs', async () => {
    const clock = fakeClock();
    const pacer = new ReadBackPacer(true, clock);
    await pacer.wait(work(clock, 100));
    await pacer.wait(work(clock, 10)); // slept 80, so this wait took 80
    expect(pacer.sleepMs).toBeCloseTo(SLEEP_FRACTION * 80);
    await pacer.wait(work(clock, 10)); // slept 64
    await pacer.wait(work(clock, 10));
    expect(pacer.sleepMs).toBeLessThan(SLEEP_FRACTION * 60);
    for (let i = 0; i < RECENT_WAITS; i++) await pacer.wait(work(clock, 50));
    expect(pacer.sleepMs).toBeCloseTo(SLEEP_FRACTION * 50);
  });

  it('never sleeps where waiting does not poll, nor for short work', async () => {
    const browser = fakeClock();
    const pacer = new ReadBackPacer(false, browser);
    for (let i = 0; i < 3; i++) await pacer.wait(work(browser, 100));
    expect(browser.slept).toEqual([]);
    const node = fakeClock();
    const quick = new ReadBackPacer(true, node);
    for (let i = 0; i < 3; i++) await quick.wait(work(node, MIN_SLEEP_MS / SLEEP_FRACTION - 0.1));
    expect(node.slept).toEqual([]);
  });
});
