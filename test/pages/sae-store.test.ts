/**
 * The SAE page's run store, through its interface, on the in-memory store the tests use (the
 * IndexedDB one is exercised by e2e/sae.spec.ts across a reload).
 */
import { describe, expect, it } from 'vitest';
import { memoryRunStore, type NewRun } from '../../src/pages/sae/store';
import { storedRun } from './sae-fixtures';

const newRun = (variant: 'topk' | 'relu-l1', l0: number): NewRun => {
  const { id: _, ...run } = storedRun(0, variant, l0, 0.2);
  return run;
};

describe('SAE run store', () => {
  it('adds with increasing ids, lists oldest first, deletes one, clears all', async () => {
    const store = memoryRunStore();
    expect(await store.list()).toEqual([]);
    const a = await store.add(newRun('topk', 5));
    const b = await store.add(newRun('relu-l1', 9));
    expect(b.id).toBeGreaterThan(a.id);
    expect((await store.list()).map((r) => [r.id, r.settings.variant, r.metrics.l0])).toEqual([
      [a.id, 'topk', 5],
      [b.id, 'relu-l1', 9],
    ]);
    await store.delete(a.id);
    expect((await store.list()).map((r) => r.id)).toEqual([b.id]);
    const c = await store.add(newRun('topk', 4));
    expect(c.id).toBeGreaterThan(b.id); // ids are never reused
    await store.clear();
    expect(await store.list()).toEqual([]);
  });

  it('keeps copies: changing a run after storing or listing it does not change the store', async () => {
    const store = memoryRunStore();
    const run = newRun('topk', 5);
    await store.add(run);
    run.metrics.l0 = 99;
    const [listed] = await store.list();
    expect(listed.metrics.l0).toBe(5);
    listed.settings.k = 77;
    expect((await store.list())[0].settings.k).toBe(5);
  });
});
