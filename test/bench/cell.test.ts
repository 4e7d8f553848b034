/**
 * A benchmark cell's `--profile` (bench/cell.ts): after the timed evaluations, the requested
 * number of profiled evaluations, each announced to the runner, and each kernel's median in the
 * cell's result; no profile where it was not asked for or the implementation has no kernels.
 */
import { describe, expect, it } from 'vitest';
import { runCell, type Evaluator } from '../../bench/cell';
import type { CellEvent } from '../../bench/config';
import type { Profile } from '../../src/gpu/profile';

function fakeEvaluator(profileMs: number[][] | null): Evaluator & { calls: string[] } {
  const calls: string[] = [];
  let next = 0;
  return {
    calls,
    async evaluate() {
      calls.push('evaluate');
      return 1;
    },
    destroy() {},
    ...(profileMs && {
      async profile(): Promise<Profile> {
        calls.push('profile');
        const ms = profileMs[next++];
        return { clock: 'timestamp-query', steps: ms.map((t, i) => ({ index: i, name: `k${i}`, dispatch: [1, 1, 1] as const, ms: t })) };
      },
    }),
  };
}

describe('bench cell --profile', () => {
  const request = { impl: 'gpu' as const, size: 'small' as const, reps: 2, boxMs: 60_000, budgetMs: 60_000, referenceCost: 1 };

  it('profiles after the timings, reports each profile, keeps each kernel’s median', async () => {
    const evaluator = fakeEvaluator([[1, 10], [3, 30], [2, 20]]);
    const events: CellEvent[] = [];
    const result = await runCell({ ...request, profiles: 3 }, async () => evaluator, (e) => void events.push(e));
    expect(evaluator.calls).toEqual(['evaluate', 'evaluate', 'evaluate', 'profile', 'profile', 'profile']);
    expect(result.profile?.steps.map((s) => s.ms)).toEqual([2, 20]);
    expect(events.filter((e) => e.type === 'profile')).toEqual([
      { type: 'profile', index: 0, ms: 11 },
      { type: 'profile', index: 1, ms: 33 },
      { type: 'profile', index: 2, ms: 22 },
    ]);
  });

  it('no profile unless asked, nor for an implementation without kernels', async () => {
    const asked = fakeEvaluator([[1]]);
    expect((await runCell(request, async () => asked, () => {})).profile).toBeUndefined();
    expect(asked.calls).not.toContain('profile');
    expect((await runCell({ ...request, profiles: 5 }, async () => fakeEvaluator(null), () => {})).profile).toBeUndefined();
  });
});
