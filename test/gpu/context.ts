/**
 * One GPU context per test file (whichever adapter Dawn finds in Node: lavapipe on a machine
 * without a GPU). A missing adapter makes every test fail with the message naming the fix;
 * nothing is skipped.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { chooseKernelConfig, matmulVariantsFor, type MatmulVariant } from '../../src/gpu/adapter';
import { formatCheck, type CheckResult } from '../../src/gpu/comparison';
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

/**
 * Runs a check with `variant` forced where the adapter offers it; where it does not (the
 * subgroup variant without a fixed subgroup size, as on NVIDIA), asserts that forcing it is
 * refused. Each variant is its own test case, so one failing does not hide the others.
 */
export async function withVariant(ctx: GpuContext, variant: MatmulVariant, check: () => Promise<CheckResult | CheckResult[]>): Promise<void> {
  const info = ctx.adapterInfo;
  if (matmulVariantsFor(info).includes(variant)) expectPass(await check());
  else expect(() => chooseKernelConfig(info, variant)).toThrow(/subgroup/);
}
