/**
 * Pipelines compiled before their first real use. Some adapters compile a compute pipeline
 * only when it is first dispatched, not when it is created: Mesa's lavapipe does, on its queue
 * thread, one pipeline after another (0.1–1.2 s each on a 2-core machine, about 5 s for a
 * training engine's; bench/tune/README.md). A run that knows its programs before its data are
 * ready submits each once with no work, an indirect dispatch of 0 × 0 × 0 workgroups over
 * scratch buffers, and the adapter compiles them while the CPU's main thread loads the data.
 * Nothing is computed and no buffer of the run's is touched; an adapter that compiled at
 * creation pays one submission.
 *
 * With a helper, a second device on the same adapter, the engine's programs are dispatched there
 * instead: its queue compiles on a thread of its own, in parallel with the run's device (which
 * compiles the kernel race's), and Mesa's shader cache on disk then serves the run's device
 * (measured: the helper's pipelines took 42 ms on the run's device afterwards, against seconds
 * to compile). Browser-safe.
 */
import type { AdapterSummary } from './adapter';
import type { GpuContext } from './device';
import { GpuValidationError } from './errors';
import type { KernelProgram } from './programs';

/** Which sets of programs a machine's shader cache already holds (Node: ./compile-stamps-node.ts). */
export interface CompileStamps {
  has(adapter: AdapterSummary, programs: readonly KernelProgram[]): Promise<boolean>;
  add(adapter: AdapterSummary, programs: readonly KernelProgram[]): Promise<void>;
}

/** Scratch bytes per binding: more than any fixed-size storage struct or uniform block a program declares. */
const SCRATCH_BYTES = 16384;

/**
 * Creates the programs' pipelines (ctx.pipelines: the run's own later requests are cache hits)
 * and submits one empty dispatch of each. `first`: what the run dispatches before them (the
 * kernel race's programs). With a `helper`, `programs` are dispatched there and only `first` on
 * the run's device, so that the run's queue holds nothing but them ahead of its first real work
 * (a queue runs its submissions in order: the race had waited behind half the engine's
 * compiles); without one, all on the run's device, `first` first.
 * Resolves once the submissions are made; `done` resolves when the devices have finished them
 * (the compiles included), `firstDone` when the run's device has (with a helper, `first` alone). Creating a pipeline throws what it throws (WgslCompileError,
 * GpuValidationError); a validation error of the dispatches rejects `done`.
 */
export async function warmUpPipelines(ctx: GpuContext, programs: readonly KernelProgram[], options: { helper?: GpuContext; first?: readonly KernelProgram[] } = {}): Promise<{ done: Promise<void>; firstDone: Promise<void> }> {
  const { helper, first = [] } = options;
  const distinct = (list: readonly KernelProgram[]) => [...new Map(list.map((p) => [ctx.pipelines.key(p), p])).values()];
  if (!helper) {
    const { done } = await submitEmptyDispatches(ctx, distinct([...first, ...programs]));
    return { done, firstDone: done };
  }
  const own = distinct(first);
  const ownKeys = new Set(own.map((p) => ctx.pipelines.key(p)));
  const helped = distinct(programs).filter((p) => !ownKeys.has(ctx.pipelines.key(p)));
  const [mine, theirs] = await Promise.all([submitEmptyDispatches(ctx, own), submitEmptyDispatches(helper, helped), ...helped.map((p) => ctx.pipelines.pipeline(p))]);
  return { done: Promise.all([mine.done, theirs.done]).then(() => {}), firstDone: mine.done };
}

async function submitEmptyDispatches(ctx: GpuContext, distinct: readonly KernelProgram[]): Promise<{ done: Promise<void> }> {
  ctx.assertAlive();
  if (distinct.length === 0) return { done: Promise.resolve() };
  const device = ctx.device;
  const pipelines = await Promise.all(distinct.map((program) => ctx.pipelines.pipeline(program)));
  const bindings = Math.max(1, ...distinct.map((p) => p.bindings.length));
  const scratch = Array.from({ length: bindings }, (_, i) =>
    device.createBuffer({ label: `warm-up scratch ${i}`, size: SCRATCH_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.UNIFORM }),
  );
  const noWork = device.createBuffer({ label: 'warm-up dispatch (0 × 0 × 0)', size: 12, usage: GPUBufferUsage.INDIRECT });
  // The error scope is popped without waiting: Dawn settles it only once the queue has done the
  // work before it, and that work is the compiles this thread must not wait for.
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder({ label: 'warm-up' });
  const pass = encoder.beginComputePass();
  distinct.forEach((program, k) => {
    const entries = program.bindings.map((kind, binding) => ({
      binding,
      resource: { buffer: scratch[binding], size: kind === 'uniform' ? Math.ceil(program.uniforms.byteLength / 16) * 16 : SCRATCH_BYTES },
    }));
    pass.setPipeline(pipelines[k].pipeline);
    pass.setBindGroup(0, device.createBindGroup({ label: `warm-up ${program.name}`, layout: pipelines[k].bindGroupLayout, entries }));
    pass.dispatchWorkgroupsIndirect(noWork, 0);
  });
  pass.end();
  device.queue.submit([encoder.finish()]);
  const scope = device.popErrorScope();
  const done = Promise.all([scope, device.queue.onSubmittedWorkDone()])
    .then(([error]) => {
      if (error) throw new GpuValidationError(`warming up ${distinct.length} pipelines`, error.message);
    })
    .finally(() => {
      for (const buffer of [...scratch, noWork]) buffer.destroy();
    });
  return { done };
}
