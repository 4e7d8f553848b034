/**
 * Paced read-backs (src/gpu/pacer.ts): no sleep before the first waits, nor where waiting does
 * not poll (browsers), nor for short work; otherwise a fraction of the shortest recent wait,
 * which follows the work up, and down within a few read-backs after a slow spell.
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
  it('sleeps a fraction of the shortest recent wait before mapping, the first wait (compilation) left out', async () => {
    const clock = fakeClock();
    const pacer = new ReadBackPacer(true, clock);
    await pacer.wait(work(clock, 500)); // the first: shaders compiled
    await pacer.wait(work(clock, 20));
    expect(clock.slept).toEqual([]);
    await pacer.wait(work(clock, 30));
    await pacer.wait(work(clock, 25));
    expect(clock.slept).toEqual([SLEEP_FRACTION * 20, SLEEP_FRACTION * 20]);
    expect(pacer.sleepMs).toBeCloseTo(SLEEP_FRACTION * 20);
  });

  it('comes down from a slow spell within a few read-backs, and follows the work up', async () => {
    const clock = fakeClock();
    const pacer = new ReadBackPacer(true, clock);
    await pacer.wait(work(clock, 100));
    await pacer.wait(work(clock, 100));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = clock.t;
      await pacer.wait(work(clock, 10));
      waits.push(clock.t - start);
    }
    // Overslept: 80, then half of that is kept (40 → sleep 32), then 16 → 12.8, then the work's own 12.8 …
    expect(waits[0]).toBeCloseTo(80);
    expect(waits[1]).toBeCloseTo(32);
    expect(waits.slice(3).every((w) => w < 11)).toBe(true);
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
