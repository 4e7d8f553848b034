/**
 * A model's evaluation as a list of kernel steps (src/gpu/autoencoder.ts, src/gpu/classifier.ts):
 * each step is a program factory (for a batch of examples, with the model's current settings)
 * and the buffers it binds, given the θ and gradient buffers in use. The list compiles each
 * step's pipeline once, keeps one set of uniform buffers per batch (so one submission may hold
 * several batches), and one bind group per step for each (θ, gradient) buffer pair it meets, so
 * that recording an evaluation in steady state creates nothing.
 */
import type { GpuContext } from './device';
import { formatBytes, ResourceLimitError, type Remedy } from './errors';
import type { CachedPipeline } from './pipelines';
import type { KernelProgram } from './programs';
import { createBindGroup, createUniformBuffer, encodeStep, inBindingOrder, type NamedBuffers } from './runtime';

import type { Batch } from '../reference/autoencoder';

export type { Batch };

export interface StepDefinition {
  make: (batch: Batch) => KernelProgram;
  /**
   * The buffers by the names the program gives its bindings: whole buffers, or windows of them
   * (offset and size) for data larger than one binding.
   */
  buffers: (theta: GPUBuffer, grad: GPUBuffer, batch: Batch) => NamedBuffers;
}

interface Step extends StepDefinition {
  pipeline: CachedPipeline;
}

/** The programs of one batch, with their uniform buffers (one per step). */
interface BatchPrograms {
  programs: KernelProgram[];
  uniformBuffers: GPUBuffer[];
  /** Bind groups by θ buffer, then gradient buffer. */
  bindGroups: Map<GPUBuffer, Map<GPUBuffer, GPUBindGroup[]>>;
}

/**
 * Data larger than one binding are evaluated in pieces that start at multiples of this many
 * rows: whole split-K slices (256 rows) and reduction chunks (64), 256-byte binding offsets.
 */
export const PIECE_ALIGNMENT = 256;

export class StepList {
  private readonly batches = new Map<string, BatchPrograms>();

  private constructor(
    private readonly ctx: GpuContext,
    private readonly steps: readonly Step[],
    private readonly examples: number,
    private readonly minBufferBytes: number,
  ) {}

  /**
   * Compiles every step's pipeline (as made for `firstBatch`). `minBufferBytes` is the size a θ
   * or gradient buffer must have.
   */
  static async build(
    ctx: GpuContext,
    definitions: readonly StepDefinition[],
    examples: number,
    firstBatch: Batch,
    minBufferBytes: number,
  ): Promise<StepList> {
    checkBatch(firstBatch, examples);
    const programs = definitions.map((d) => d.make(firstBatch));
    const pipelines = await Promise.all(programs.map((p) => ctx.pipelines.pipeline(p)));
    return new StepList(ctx, definitions.map((d, i) => ({ ...d, pipeline: pipelines[i] })), examples, minBufferBytes);
  }

  /** Records every step over `batch`, reading θ from `theta` and writing ∇J into `grad`. */
  encode(pass: GPUComputePassEncoder, theta: GPUBuffer, grad: GPUBuffer, batch: Batch): void {
    const { programs } = this.programsFor(batch);
    const bindGroups = this.bindGroupsFor(batch, theta, grad);
    this.steps.forEach((step, i) => encodeStep(pass, { pipeline: step.pipeline, bindGroup: bindGroups[i], program: programs[i] }));
  }

  /** Steps in one evaluation. */
  get length(): number {
    return this.steps.length;
  }

  /** Records step i alone over `batch` (a profile times each step in its own pass: src/gpu/profile.ts). */
  encodeOne(pass: GPUComputePassEncoder, i: number, theta: GPUBuffer, grad: GPUBuffer, batch: Batch): void {
    const { programs } = this.programsFor(batch);
    const bindGroups = this.bindGroupsFor(batch, theta, grad);
    encodeStep(pass, { pipeline: this.steps[i].pipeline, bindGroup: bindGroups[i], program: programs[i] });
  }

  /** The programs and uniforms of a batch, made on first use (uniforms only; nothing recompiles). */
  programsFor(batch: Batch): { programs: readonly KernelProgram[] } {
    const key = `${batch.start}:${batch.count}`;
    let set = this.batches.get(key);
    if (!set) {
      checkBatch(batch, this.examples);
      const programs = this.makePrograms(batch);
      const uniformBuffers = programs.map((program) => createUniformBuffer(this.ctx.device, program));
      set = { programs, uniformBuffers, bindGroups: new Map() };
      this.batches.set(key, set);
    }
    return set;
  }

  /** Remakes every batch's programs (after a change of hyperparameters) and rewrites their uniforms. */
  refresh(): void {
    for (const [key, set] of this.batches) {
      const [start, count] = key.split(':').map(Number);
      set.programs = this.makePrograms({ start, count });
      set.programs.forEach((program, i) => this.ctx.device.queue.writeBuffer(set.uniformBuffers[i], 0, program.uniforms));
    }
  }

  /** Makes the bind groups of a (θ, gradient) pair now, so that recording creates none. */
  bindGroupsFor(batch: Batch, theta: GPUBuffer, grad: GPUBuffer): GPUBindGroup[] {
    this.programsFor(batch);
    const set = this.batches.get(`${batch.start}:${batch.count}`)!;
    let byGrad = set.bindGroups.get(theta);
    if (!byGrad) {
      byGrad = new Map();
      set.bindGroups.set(theta, byGrad);
    }
    let groups = byGrad.get(grad);
    if (!groups) {
      const bytes = this.minBufferBytes;
      if (theta.size < bytes || grad.size < bytes) {
        throw new RangeError(`θ and gradient buffers need at least ${bytes} bytes (got ${theta.size} and ${grad.size})`);
      }
      groups = this.steps.map((step, i) => {
        const buffers = inBindingOrder(set.programs[i], step.buffers(theta, grad, batch));
        return createBindGroup(this.ctx.device, step.pipeline, set.uniformBuffers[i], buffers, set.programs[i].name);
      });
      byGrad.set(grad, groups);
    }
    return groups;
  }

  destroy(): void {
    for (const set of this.batches.values()) for (const buffer of set.uniformBuffers) buffer.destroy();
    this.batches.clear();
  }

  private makePrograms(batch: Batch): KernelProgram[] {
    return this.steps.map((step) => {
      const program = step.make(batch);
      if (this.ctx.pipelines.key(program) !== step.pipeline.key) {
        throw new Error(`internal: ${program.name} would need a different pipeline for batch ${batch.start}:${batch.count}`);
      }
      return program;
    });
  }
}

export function checkBatch(batch: Batch, examples: number): Batch {
  const { start, count } = batch;
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 1 && start + count <= examples)) {
    throw new RangeError(`batch [${start}, ${start + count}) is not a non-empty range inside [0, ${examples})`);
  }
  return { start, count };
}

/**
 * Refuses, before any buffer is made, a buffer that would not fit one storage binding, with
 * what it is, its size, the adapter's limit and what to try instead.
 */
export function checkBindingSizes(device: GPUDevice, needs: ReadonlyArray<readonly [what: string, bytes: number, instead: readonly Remedy[]]>): void {
  const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  for (const [what, bytes, instead] of needs) {
    if (bytes > maxBinding) {
      throw new ResourceLimitError(
        `${what} needs ${formatBytes(bytes)} in one GPU buffer; this adapter's largest is ${formatBytes(maxBinding)}`,
        [...instead, 'cpu'],
      );
    }
  }
}
