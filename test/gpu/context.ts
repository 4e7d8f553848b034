/**
 * One GPU context per test file (lavapipe in Node). A missing adapter makes every test fail with
 * the message naming the fix; nothing is skipped.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { CheckResult } from '../../src/gpu/checks';
import { formatCheck } from '../../src/gpu/checks';
import type { GpuContext } from '../../src/gpu/device';
import { createNodeGpuContext } from '../../src/gpu/node';

export function useGpuContext(): () => GpuContext {
  let ctx: GpuContext | undefined;
  beforeAll(async () => {
    ctx = await createNodeGpuContext();
  });
  afterAll(() => {
    ctx?.destroy();
  });
  return () => {
    if (!ctx) throw new Error('no GPU context: createNodeGpuContext() failed in beforeAll');
    return ctx;
  };
}

export function expectPass(results: CheckResult | CheckResult[]): void {
  for (const r of Array.isArray(results) ? results : [results]) {
    expect(r.pass, formatCheck(r)).toBe(true);
  }
}
