/**
 * θ-sized vectors in GPU buffers, with the operations L-BFGS, gradient descent, momentum and
 * Adam need (src/optim/lbfgs.ts VectorBackend, src/train/engine.ts UpdateBackend).
 *
 * Updates (axpy, scale, copy, Adam, the L-BFGS two-loop recursion) are only recorded: they go
 * to the GPU in one submission with the next thing that has to wait — a scalar read back, or an
 * evaluation of the model (`flushInto`). Scalars the GPU needs from the CPU travel in uniforms;
 * the two-loop recursion's αᵢ and βᵢ are computed and consumed on the GPU (coefficient slots),
 * so a direction costs no read-back at all.
 */
import type { CorrectionHistory } from '../optim/lbfgs';
import type { AdamSettings, UpdateBackend } from '../train/engine';
import type { GpuContext } from './device';
import { withErrorScopes } from './errors';
import { packUniforms } from './programs';
import type { BindingKind, CachedPipeline } from './pipelines';
import { createStorageBuffer, readF32 } from './runtime';
import adamSource from '../../shaders/adam.wgsl?raw';
import vectorOpsSource from '../../shaders/vector_ops.wgsl?raw';
import vectorReduceSource from '../../shaders/vector_reduce.wgsl?raw';

const SHADERS = {
  ops: { file: 'shaders/vector_ops.wgsl', code: vectorOpsSource },
  reduce: { file: 'shaders/vector_reduce.wgsl', code: vectorReduceSource },
  adam: { file: 'shaders/adam.wgsl', code: adamSource },
};

export interface GpuVector {
  readonly buffer: GPUBuffer;
}

const WG = 64;
const FINALIZE_WG = 64;
const MODE = { dot: 0, sumAbs: 1, maxAbs: 2 } as const;

// Coefficient slots: constants, γ (H0 = γI), and per correction pair ρᵢ and αᵢ.
const ONE = 0;
const ZERO = 1;
const H_DIAG = 2;
const DIFF = 3;
const FIRST_PAIR_SLOT = 4;

type Kind = 'axpy' | 'scale' | 'partials' | 'finalize' | 'adam';

const LAYOUTS: Record<Kind, BindingKind[]> = {
  axpy: ['uniform', 'read-only-storage', 'storage', 'read-only-storage'],
  scale: ['uniform', 'read-only-storage', 'storage', 'read-only-storage'],
  partials: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  finalize: ['uniform', 'read-only-storage', 'storage'],
  adam: ['uniform', 'read-only-storage', 'storage', 'storage', 'storage'],
};

export class GpuVectorBackend implements UpdateBackend<GpuVector> {
  private readonly device: GPUDevice;
  private readonly pipelines = new Map<Kind, CachedPipeline>();
  private readonly coef: GPUBuffer;
  private readonly partialsBuffer: GPUBuffer;
  private readonly chunk: number;
  private readonly partialCount: number;
  private readonly capacity: number;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Uniform buffers of recorded but unsubmitted work, destroyed once submitted. */
  private transient: GPUBuffer[] = [];
  private retired: GPUBuffer[] = [];
  /** Static uniforms of the two-loop steps, by key; they never change for a given slot. */
  private readonly staticUniforms = new Map<string, GPUBuffer>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly vectorIds = new WeakMap<GPUBuffer, number>();
  private nextVectorId = 0;
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly length: number,
    corrections: number,
  ) {
    this.device = ctx.device;
    this.capacity = corrections;
    this.coef = createStorageBuffer(this.device, (FIRST_PAIR_SLOT + 2 * corrections + 1) * 4, 'L-BFGS coefficients');
    const constants = new Float32Array(FIRST_PAIR_SLOT);
    constants[ONE] = 1;
    constants[H_DIAG] = 1;
    this.device.queue.writeBuffer(this.coef, 0, constants);
    // ≤ 1024 partial sums so that one workgroup finishes them quickly.
    this.chunk = Math.max(256, Math.ceil(length / 1024));
    this.partialCount = Math.ceil(length / this.chunk);
    this.partialsBuffer = createStorageBuffer(this.device, this.partialCount * 4, 'vector partial sums');
  }

  /** `corrections`: the most L-BFGS pairs `direction` will be handed (minFunc's Corr). */
  static async create(ctx: GpuContext, length: number, corrections = 100): Promise<GpuVectorBackend> {
    if (!(Number.isInteger(length) && length > 0)) throw new RangeError(`length must be a positive integer, got ${length}`);
    const backend = new GpuVectorBackend(ctx, length, corrections);
    const entry: Record<Kind, [keyof typeof SHADERS, string]> = {
      axpy: ['ops', 'axpy'],
      scale: ['ops', 'scale'],
      partials: ['reduce', 'partials'],
      finalize: ['reduce', 'finalize'],
      adam: ['adam', 'main'],
    };
    await withErrorScopes(ctx.device, 'creating the GPU vector kernels', async () => {
      for (const kind of Object.keys(entry) as Kind[]) {
        const [shader, entryPoint] = entry[kind];
        const pipeline = await ctx.pipelines.pipeline({
          shader: SHADERS[shader],
          entryPoint,
          constants: { WG: kind === 'finalize' ? FINALIZE_WG : WG },
          bindings: LAYOUTS[kind],
        });
        backend.pipelines.set(kind, pipeline);
      }
    });
    return backend;
  }

  // --- VectorBackend ----------------------------------------------------------------------

  create(): GpuVector {
    this.assertUsable();
    return { buffer: createStorageBuffer(this.device, this.length * 4, 'optimizer vector') };
  }

  free(v: GpuVector): void {
    // Recorded work may still use it: destroy after the next submission.
    this.retired.push(v.buffer);
    if (!this.encoder) this.releaseRetired();
  }

  copy(dst: GpuVector, src: GpuVector): void {
    this.recordAxpy(1, ONE, src, dst, true);
  }

  axpy(a: number, x: GpuVector, y: GpuVector): void {
    this.recordAxpy(a, ONE, x, y, false);
  }

  scale(a: number, x: GpuVector): void {
    this.recordScale(a, ONE, x);
  }

  dot(a: GpuVector, b: GpuVector): Promise<number> {
    return this.reduceToScalar(MODE.dot, a, b);
  }

  maxAbs(x: GpuVector): Promise<number> {
    return this.reduceToScalar(MODE.maxAbs, x, x);
  }

  sumAbs(x: GpuVector): Promise<number> {
    return this.reduceToScalar(MODE.sumAbs, x, x);
  }

  /**
   * out ← −H·g by the two-loop recursion, entirely on the GPU. Only ρᵢ = 1/yᵢᵀsᵢ and γ, which
   * the optimizer already holds, are uploaded.
   */
  direction(g: GpuVector, history: CorrectionHistory<GpuVector>, out: GpuVector): void {
    const k = history.s.length;
    if (k > this.capacity) throw new RangeError(`${k} correction pairs; this backend was made for ${this.capacity}`);
    // The slot of pair i is fixed by its position in the history (oldest first).
    const rho = new Float32Array(k);
    for (let i = 0; i < k; i++) rho[i] = 1 / history.ys[i];
    this.flushRecorded(); // the uploads below must not overtake recorded work reading those slots
    this.device.queue.writeBuffer(this.coef, H_DIAG * 4, new Float32Array([history.hDiag]));
    if (k > 0) this.device.queue.writeBuffer(this.coef, FIRST_PAIR_SLOT * 4, rho);
    const rhoSlot = (i: number) => FIRST_PAIR_SLOT + i;
    const alphaSlot = (i: number) => FIRST_PAIR_SLOT + this.capacity + i;

    this.copy(out, g); // q ← g
    for (let i = k - 1; i >= 0; i--) {
      this.recordReduce(MODE.dot, history.s[i], out, alphaSlot(i), ZERO, rhoSlot(i), 1); // αᵢ = ρᵢ sᵢᵀq
      this.recordAxpy(-1, alphaSlot(i), history.y[i], out, false); // q ← q − αᵢ yᵢ
    }
    this.recordScale(1, H_DIAG, out); // r ← γ q
    for (let i = 0; i < k; i++) {
      this.recordReduce(MODE.dot, history.y[i], out, DIFF, alphaSlot(i), rhoSlot(i), -1); // αᵢ − ρᵢ yᵢᵀr
      this.recordAxpy(1, DIFF, history.s[i], out, false); // r ← r + (αᵢ − βᵢ) sᵢ
    }
    this.recordScale(-1, ONE, out); // d = −r
  }

  async read(x: GpuVector): Promise<Float64Array> {
    this.flushRecorded();
    return Float64Array.from(await readF32(this.ctx, x.buffer, 0, this.length));
  }

  write(dst: GpuVector, values: ArrayLike<number>): void {
    if (values.length !== this.length) throw new RangeError(`${values.length} values for a vector of ${this.length}`);
    this.flushRecorded(); // keep program order: recorded work on dst happens before this write
    const f32 = Float32Array.from(values);
    this.device.queue.writeBuffer(dst.buffer, 0, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  adamStep(theta: GpuVector, grad: GpuVector, m: GpuVector, v: GpuVector, s: AdamSettings): void {
    const uniforms = packUniforms([
      ['u32', this.length],
      ['f32', s.learningRate],
      ['f32', s.beta1],
      ['f32', s.beta2],
      ['f32', s.epsilon],
      ['f32', 1 - s.beta1 ** s.step],
      ['f32', 1 - s.beta2 ** s.step],
    ]);
    this.dispatch('adam', this.transientUniform(uniforms), [grad.buffer, theta.buffer, m.buffer, v.buffer], this.elementGrid(), false);
  }

  // --- Submission -------------------------------------------------------------------------

  /**
   * Ends recording and returns the encoder holding the recorded work (or a new one), for the
   * caller to add its own passes (an evaluation) and submit with `submit`.
   */
  takeEncoder(): GPUCommandEncoder {
    this.assertUsable();
    this.pass?.end();
    this.pass = null;
    const encoder = this.encoder ?? this.device.createCommandEncoder({ label: 'optimizer step' });
    this.encoder = null;
    return encoder;
  }

  /** Submits an encoder from takeEncoder, then releases what the recorded work needed. */
  submit(encoder: GPUCommandEncoder): void {
    this.device.queue.submit([encoder.finish()]);
    this.releaseTransient();
    this.releaseRetired();
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
    this.coef.destroy();
    this.partialsBuffer.destroy();
    for (const buffer of this.staticUniforms.values()) buffer.destroy();
    this.bindGroups.clear();
  }

  // --- Recording ----------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.destroyed) throw new Error('this GPU vector backend has been destroyed');
    this.ctx.assertAlive();
  }

  private currentPass(): GPUComputePassEncoder {
    this.assertUsable();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'optimizer step' });
    if (!this.pass) this.pass = this.encoder.beginComputePass({ label: 'vector operations' });
    return this.pass;
  }

  private elementGrid(): [number, number, number] {
    const groups = Math.ceil(this.length / WG);
    const x = Math.min(groups, 65535);
    return [x, Math.ceil(groups / x), 1];
  }

  private recordAxpy(scale: number, slot: number, x: GpuVector, y: GpuVector, overwrite: boolean): void {
    if (x.buffer === y.buffer) throw new RangeError('axpy needs two different vectors');
    const fields = [
      ['u32', this.length],
      ['u32', slot],
      ['f32', scale],
      ['u32', overwrite ? 1 : 0],
    ] as const;
    // CPU scalars vary per call; GPU-coefficient steps (slot ≠ ONE) repeat every iteration.
    const uniform = slot === ONE ? this.transientUniform(packUniforms(fields)) : this.staticUniform(`axpy ${slot} ${scale} ${overwrite}`, fields);
    this.dispatch('axpy', uniform, [x.buffer, y.buffer, this.coef], this.elementGrid(), slot !== ONE);
  }

  private recordScale(scale: number, slot: number, x: GpuVector): void {
    const fields = [
      ['u32', this.length],
      ['u32', slot],
      ['f32', scale],
      ['u32', 0],
    ] as const;
    const uniform = slot === ONE && scale !== -1 ? this.transientUniform(packUniforms(fields)) : this.staticUniform(`scale ${slot} ${scale}`, fields);
    // x is not read by `scale`; the coefficient buffer stands in for it.
    this.dispatch('scale', uniform, [this.coef, x.buffer, this.coef], this.elementGrid(), true);
  }

  /** coef[dst] = coef[aSlot] + coef[bSlot]·bScale·reduce(a, b). */
  private recordReduce(mode: number, a: GpuVector, b: GpuVector, dst: number, aSlot: number, bSlot: number, bScale: number): void {
    const partialUniform = this.staticUniform(`partials ${mode}`, [
      ['u32', this.length],
      ['u32', this.chunk],
      ['u32', mode],
    ]);
    this.dispatch('partials', partialUniform, [a.buffer, b.buffer, this.partialsBuffer], [Math.ceil(this.partialCount / WG), 1, 1], true);
    const finalizeUniform = this.staticUniform(`finalize ${mode} ${dst} ${aSlot} ${bSlot} ${bScale}`, [
      ['u32', this.partialCount],
      ['u32', mode === MODE.maxAbs ? MODE.maxAbs : MODE.dot],
      ['u32', dst],
      ['u32', aSlot],
      ['u32', bSlot],
      ['f32', bScale],
    ]);
    this.dispatch('finalize', finalizeUniform, [this.partialsBuffer, this.coef], [1, 1, 1], true);
  }

  private async reduceToScalar(mode: number, a: GpuVector, b: GpuVector): Promise<number> {
    const resultSlot = FIRST_PAIR_SLOT + 2 * this.capacity;
    this.recordReduce(mode, a, b, resultSlot, ZERO, ONE, 1);
    const encoder = this.takeEncoder();
    const staging = this.device.createBuffer({ label: 'scalar read-back', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(this.coef, resultSlot * 4, staging, 0, 4);
    this.submit(encoder);
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const value = new Float32Array(staging.getMappedRange(0, 4))[0];
      staging.unmap();
      return value;
    } finally {
      staging.destroy();
    }
  }

  private dispatch(kind: Kind, uniform: GPUBuffer, buffers: GPUBuffer[], grid: readonly number[], cacheBindGroup: boolean): void {
    const pipeline = this.pipelines.get(kind)!;
    const entries = [uniform, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } }));
    let bindGroup: GPUBindGroup | undefined;
    const key = cacheBindGroup ? `${kind}|${[uniform, ...buffers].map((b) => this.idOf(b)).join(',')}` : '';
    if (cacheBindGroup) bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      bindGroup = this.device.createBindGroup({ label: kind, layout: pipeline.bindGroupLayout, entries });
      if (cacheBindGroup) this.bindGroups.set(key, bindGroup);
    }
    const pass = this.currentPass();
    pass.setPipeline(pipeline.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.vectorIds.get(buffer);
    if (id === undefined) {
      id = this.nextVectorId++;
      this.vectorIds.set(buffer, id);
    }
    return id;
  }

  private transientUniform(data: ArrayBuffer): GPUBuffer {
    const buffer = this.device.createBuffer({ label: 'vector op uniforms', size: data.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
    buffer.unmap();
    this.transient.push(buffer);
    return buffer;
  }

  private staticUniform(key: string, fields: readonly (readonly ['u32' | 'f32', number])[]): GPUBuffer {
    let buffer = this.staticUniforms.get(key);
    if (!buffer) {
      const data = packUniforms(fields);
      buffer = this.device.createBuffer({ label: `uniforms ${key}`, size: data.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data));
      buffer.unmap();
      this.staticUniforms.set(key, buffer);
    }
    return buffer;
  }

  private releaseTransient(): void {
    for (const buffer of this.transient) buffer.destroy();
    this.transient = [];
  }

  private releaseRetired(): void {
    for (const buffer of this.retired) {
      buffer.destroy();
      // Cached bind groups naming it are dead now.
      const id = this.vectorIds.get(buffer);
      if (id !== undefined) {
        for (const key of [...this.bindGroups.keys()]) {
          if (key.split('|')[1].split(',').includes(String(id))) this.bindGroups.delete(key);
        }
      }
    }
    this.retired = [];
  }
}

