/**
 * θ-sized vectors in GPU buffers with the updates of gradient descent, momentum and Adam
 * (src/optim/vectors.ts UpdateBackend). L-BFGS has its own backend (./lbfgs.ts).
 *
 * Updates are only recorded, into one compute pass that the caller may add its own dispatches
 * to (an engine records each step's evaluation there), and go to the GPU in one submission when
 * the caller takes the encoder: many steps, one submission, no wait.
 */
import type { AdamSettings, UpdateBackend } from '../optim/vectors';
import type { PassTimer } from './counters';
import type { GpuContext } from './device';
import { withErrorScopes } from './errors';
import { adamProgram, axpyProgram, scaleProgram } from './optimizer-programs';
import type { CachedPipeline } from './pipelines';
import type { KernelProgram } from './programs';
import { BindGroupCache, createBindGroup, createStorageBuffer, inBindingOrder, readVectors, writeVector } from './runtime';

export interface GpuVector {
  readonly buffer: GPUBuffer;
}

/**
 * The programs a backend of `length`-value vectors records, at placeholder factors: a step changes
 * only their uniforms, so these make the pipelines once, found again by program name.
 */
function kernels(length: number): KernelProgram[] {
  const settings = { learningRate: 0, beta1: 0, beta2: 0, epsilon: 0, step: 1 };
  return [axpyProgram({ length, a: 0, overwrite: false }), scaleProgram({ length, a: 0 }), adamProgram({ length, settings })];
}

/** Uniform blocks of CPU factors kept for reuse (learning rates and momenta repeat every step). */
const MAX_CACHED_UNIFORMS = 64;

export class GpuVectorBackend implements UpdateBackend<GpuVector> {
  private readonly device: GPUDevice;
  private readonly pipelines = new Map<string, CachedPipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private currentPass: GPUComputePassEncoder | null = null;
  /** Buffers recorded work still uses, destroyed once that work is submitted. */
  private retired: GPUBuffer[] = [];
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly bindGroups: BindGroupCache;
  private destroyed = false;
  private passTimed = false;
  /** Whether the pass of the encoder last taken was timed (its timestamps await resolving). */
  lastTakenTimed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly length: number,
    private readonly timer: PassTimer | null,
  ) {
    this.device = ctx.device;
    this.bindGroups = new BindGroupCache(this.device);
  }

  /** The programs create() compiles for vectors of this length (a run warms them up early: ./warm-up.ts). */
  static programs(length: number): KernelProgram[] {
    return kernels(length);
  }

  /** With a timer, every pass carries its timestamps (the engine resolves them with its read-back). */
  static async create(ctx: GpuContext, length: number, timer: PassTimer | null = null): Promise<GpuVectorBackend> {
    if (!(Number.isInteger(length) && length > 0)) throw new RangeError(`length must be a positive integer, got ${length}`);
    const backend = new GpuVectorBackend(ctx, length, timer);
    await withErrorScopes(ctx.device, 'creating the GPU vector kernels', async () => {
      const programs = kernels(length);
      const pipelines = await Promise.all(programs.map((program) => ctx.pipelines.pipeline(program)));
      programs.forEach((program, k) => backend.pipelines.set(program.name, pipelines[k]));
    });
    return backend;
  }

  // --- UpdateBackend ------------------------------------------------------------------------

  create(): GpuVector {
    this.assertUsable();
    return { buffer: createStorageBuffer(this.device, this.length * 4, 'optimizer vector') };
  }

  free(v: GpuVector): void {
    this.retire(v.buffer);
  }

  copy(dst: GpuVector, src: GpuVector): void {
    this.recordAxpy(1, src, dst, true);
  }

  axpy(a: number, x: GpuVector, y: GpuVector): void {
    this.recordAxpy(a, x, y, false);
  }

  scale(a: number, x: GpuVector): void {
    const program = scaleProgram({ length: this.length, a });
    this.record(program, this.cachedUniform(program), { scaled: x.buffer });
  }

  async read(x: GpuVector): Promise<Float64Array> {
    this.flushRecorded();
    const [values] = await readVectors(this.ctx, [[x.buffer, 0]], this.length);
    return Float64Array.from(values);
  }

  write(dst: GpuVector, values: ArrayLike<number>): void {
    this.flushRecorded(); // keep program order: recorded work on dst happens before this write
    writeVector(this.device, dst.buffer, this.length, values, 'an optimizer vector');
  }

  adamStep(theta: GpuVector, grad: GpuVector, m: GpuVector, v: GpuVector, s: AdamSettings): void {
    // The bias corrections change every step: a uniform block of its own, freed after submission.
    const program = adamProgram({ length: this.length, settings: s });
    const uniform = this.uniformBuffer(program.uniforms, 'adam uniforms');
    this.record(program, uniform, { grad: grad.buffer, theta: theta.buffer, m: m.buffer, v: v.buffer }, false);
    this.retire(uniform);
  }

  // --- Recording and submission -------------------------------------------------------------

  /** The compute pass recorded updates go into; an engine records its evaluations there too. */
  pass(): GPUComputePassEncoder {
    this.assertUsable();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'optimizer steps' });
    if (!this.currentPass) {
      this.currentPass = this.encoder.beginComputePass({ label: 'optimizer steps', timestampWrites: this.timer?.timestampWrites });
      this.passTimed = this.timer !== null;
    }
    return this.currentPass;
  }

  /**
   * Ends recording and returns the encoder holding the recorded work (or a new one), for the
   * caller to add copies and submit with `submit`.
   */
  takeEncoder(): GPUCommandEncoder {
    this.assertUsable();
    this.currentPass?.end();
    this.currentPass = null;
    this.lastTakenTimed = this.passTimed;
    this.passTimed = false;
    const encoder = this.encoder ?? this.device.createCommandEncoder({ label: 'optimizer steps' });
    this.encoder = null;
    return encoder;
  }

  /** Submits an encoder from takeEncoder, then frees what the recorded work needed. */
  submit(encoder: GPUCommandEncoder): void {
    this.device.queue.submit([encoder.finish()]);
    this.flushRetired();
  }

  /** Sends everything recorded so far to the GPU. */
  flushRecorded(): void {
    if (!this.encoder) return;
    this.submit(this.takeEncoder());
  }

  /** Waits until the GPU has done everything submitted. */
  async finish(): Promise<void> {
    this.flushRecorded();
    await this.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.flushRecorded();
    this.destroyed = true;
    for (const buffer of this.uniforms.values()) buffer.destroy();
    this.uniforms.clear();
    this.bindGroups.clear();
  }

  // -------------------------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.destroyed) throw new Error('this GPU vector backend has been destroyed');
    this.ctx.assertAlive();
  }

  /** Destroys a buffer once the work recorded so far no longer needs it. */
  private retire(buffer: GPUBuffer): void {
    this.retired.push(buffer);
    this.bindGroups.forget(buffer);
    if (!this.encoder) this.flushRetired();
  }

  private flushRetired(): void {
    for (const buffer of this.retired) buffer.destroy();
    this.retired = [];
  }

  private recordAxpy(a: number, x: GpuVector, y: GpuVector, overwrite: boolean): void {
    if (x.buffer === y.buffer) throw new RangeError('axpy needs two different vectors');
    const program = axpyProgram({ length: this.length, a, overwrite });
    this.record(program, this.cachedUniform(program), { x: x.buffer, y: y.buffer });
  }

  /** Records `program` over its uniform buffer and `buffers`, bound by the program's names. */
  private record(program: KernelProgram, uniform: GPUBuffer, buffers: Readonly<Record<string, GPUBuffer>>, cacheBindGroup = true): void {
    const pipeline = this.pipelines.get(program.name)!;
    const bindGroup = cacheBindGroup
      ? this.bindGroups.bind(program, pipeline, uniform, buffers)
      : createBindGroup(this.device, pipeline, uniform, inBindingOrder(program, buffers), program.name);
    const [x, y, z] = program.dispatch;
    const pass = this.pass();
    pass.setPipeline(pipeline.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }

  /** The program's uniform block, in a buffer shared with every other dispatch of the same bytes. */
  private cachedUniform(program: KernelProgram): GPUBuffer {
    const data = program.uniforms;
    const key = Array.from(new Uint32Array(data)).join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      if (this.uniforms.size >= MAX_CACHED_UNIFORMS) {
        for (const old of this.uniforms.values()) this.retire(old);
        this.uniforms.clear();
      }
      buffer = this.uniformBuffer(data, 'vector op uniforms');
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  private uniformBuffer(data: ArrayBuffer, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    return buffer;
  }
}
