/**
 * Where one evaluation's time goes: each step of a model's evaluation in a compute pass of its
 * own, timed by the adapter's timestamp queries when it has them (Dawn on lavapipe and Chromium
 * on SwiftShader do), otherwise each step in a submission of its own timed by the wall clock from
 * submit to onSubmittedWorkDone (which adds the submission's overhead to every step, and says so).
 * A profile changes what it measures (a pass per step where an evaluation has one), so its total
 * is compared with, not substituted for, the evaluation's own median (bench/tune/evaluate-timing.ts).
 */
import type { GpuContext } from './device';
import type { KernelProgram } from './programs';
import { mapForReading } from './runtime';

export type ProfileClock = 'timestamp-query' | 'wall clock per submission';

export interface KernelTime {
  /** The step's position in the evaluation, its program's name and dispatch size. */
  index: number;
  name: string;
  dispatch: readonly [number, number, number];
  ms: number;
}

export interface Profile {
  clock: ProfileClock;
  steps: KernelTime[];
}

/** What a model offers a profile: GpuModel.profiledSteps(). */
export interface ProfiledSteps {
  programs: readonly KernelProgram[];
  encode: (pass: GPUComputePassEncoder, i: number) => void;
}

/** One evaluation, step by step; the result (θ's gradient and cost) is the evaluation's own. */
export async function profileEvaluation(ctx: GpuContext, model: { profiledSteps(): ProfiledSteps }): Promise<Profile> {
  const { programs, encode } = model.profiledSteps();
  const device = ctx.device;
  const row = (i: number, ms: number): KernelTime => ({ index: i, name: programs[i].name, dispatch: programs[i].dispatch, ms });
  if (!device.features.has('timestamp-query')) {
    const steps: KernelTime[] = [];
    for (let i = 0; i < programs.length; i++) {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass({ label: `profile step ${i}` });
      encode(pass, i);
      pass.end();
      const start = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      steps.push(row(i, performance.now() - start));
    }
    return { clock: 'wall clock per submission', steps };
  }
  const count = programs.length * 2;
  const querySet = device.createQuerySet({ label: 'profile timestamps', type: 'timestamp', count });
  const resolve = device.createBuffer({ label: 'profile resolve', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const staging = device.createBuffer({ label: 'profile read-back', size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < programs.length; i++) {
      const pass = encoder.beginComputePass({ label: `profile step ${i}`, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      encode(pass, i);
      pass.end();
    }
    encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, count * 8);
    device.queue.submit([encoder.finish()]);
    await mapForReading(ctx, staging);
    const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return { clock: 'timestamp-query', steps: programs.map((_, i) => row(i, stamps[2 * i + 1] > stamps[2 * i] ? Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 : 0)) };
  } finally {
    querySet.destroy();
    resolve.destroy();
    staging.destroy();
  }
}

/** The median of each step's time over several profiles of the same evaluation. */
export function medianProfile(profiles: readonly Profile[]): Profile {
  if (profiles.length === 0) throw new RangeError('no profiles to take the median of');
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  return { clock: profiles[0].clock, steps: profiles[0].steps.map((step, i) => ({ ...step, ms: median(profiles.map((p) => p.steps[i].ms)) })) };
}

/** A plain-text table: one row per step, its share of the total, then the total. */
export function formatProfile(profile: Profile): string {
  const total = profile.steps.reduce((s, k) => s + k.ms, 0);
  const width = Math.max(...profile.steps.map((k) => k.name.length), 'total'.length);
  const lines = [`per-kernel times (${profile.clock}), ${profile.steps.length} dispatches:`];
  for (const k of profile.steps) {
    lines.push(`  ${String(k.index).padStart(2)}  ${k.name.padEnd(width)}  ${k.ms.toFixed(2).padStart(9)} ms  ${((100 * k.ms) / (total || 1)).toFixed(1).padStart(5)}%  [${k.dispatch.join('×')}]`);
  }
  lines.push(`      ${'total'.padEnd(width)}  ${total.toFixed(2).padStart(9)} ms`);
  return lines.join('\n');
}
