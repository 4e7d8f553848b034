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
 * With a helper, a second device on the same adapter, every other program is dispatched there
 * instead: its queue compiles on a thread of its own, in parallel, and Mesa's shader cache on
 * disk then serves the run's device (measured: the helper's half took 42 ms on the run's device
 * afterwards, against seconds to compile). Browser-safe.
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
 * and submits one empty dispatch of each, in this order, every other one on `helper` when given.
 * Resolves once the submissions are made; `done` resolves when the devices have finished them
 * (the compiles included). Creating a pipeline throws what it throws (WgslCompileError,
 * GpuValidationError); a validation error of the dispatches rejects `done`.
 */
export async function warmUpPipelines(ctx: GpuContext, programs: readonly KernelProgram[], helper?: GpuContext): Promise<{ done: Promise<void> }> {
  const distinct = [...new Map(programs.map((p) => [ctx.pipelines.key(p), p])).values()];
  if (!helper) return submitEmptyDispatches(ctx, distinct);
  const [own, helped] = [distinct.filter((_, i) => i % 2 === 0), distinct.filter((_, i) => i % 2 === 1)];
  const [mine, theirs] = await Promise.all([submitEmptyDispatches(ctx, own), submitEmptyDispatches(helper, helped), ...helped.map((p) => ctx.pipelines.pipeline(p))]);
  return { done: Promise.all([mine.done, theirs.done]).then(() => {}) };
}

async function submitEmptyDispatches(ctx: GpuContext, distinct: readonly KernelProgram[]): Promise<{ done: Promise<void> }> {
  ctx.assertAlive();
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
