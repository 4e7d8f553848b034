/**
 * Buffers, bound steps (a program with its pipeline, uniform buffer and bind group) and one-shot
 * runs of programs, shared by the autoencoder and the kernel checks.
 */
import type { GpuContext } from './device';
import { withErrorScopes } from './errors';
import type { CachedPipeline } from './pipelines';
import type { KernelProgram } from './programs';

/** A storage buffer of at least `bytes` (rounded up to 16), zero-filled. */
export function createStorageBuffer(device: GPUDevice, bytes: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
}

/** A storage buffer holding `data` as f32 (padded with zeros to `minLength` values). */
export function uploadF32(device: GPUDevice, data: ArrayLike<number>, label: string, minLength = 0): GPUBuffer {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  const buffer = createStorageBuffer(device, Math.max(values.length, minLength) * 4, label);
  if (values.length > 0) device.queue.writeBuffer(buffer, 0, values.buffer, values.byteOffset, values.byteLength);
  return buffer;
}

/** Copies `count` f32s at `offset` (in f32s) out of a buffer. */
export async function readF32(ctx: GpuContext, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const [values] = await readVectors(ctx, [[buffer, offset]], count);
  return values;
}

/** Where a vector lies: a buffer and the offset of its first value, in f32s. */
export type VectorAt = readonly [buffer: GPUBuffer, offset: number];

/**
 * Copies `count` f32s from each place, through one staging buffer, one submission and one wait
 * (a checkpoint reads θ, ∇f and every L-BFGS pair at once); the wait is mapForReading's, so a
 * device lost on the way is reported as DeviceLostError.
 */
export async function readVectors(ctx: GpuContext, sources: readonly VectorAt[], count: number): Promise<Float32Array[]> {
  ctx.assertAlive();
  const device = ctx.device;
  const bytes = count * 4;
  const stride = Math.ceil(bytes / 16) * 16;
  const what = sources.map(([buffer]) => buffer.label).join(', ');
  const staging = device.createBuffer({ label: `read ${what}`, size: Math.max(16, sources.length * stride), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    await withErrorScopes(device, `reading ${what}`, () => {
      const encoder = device.createCommandEncoder({ label: `read ${what}` });
      if (bytes > 0) sources.forEach(([buffer, offset], i) => encoder.copyBufferToBuffer(buffer, offset * 4, staging, i * stride, bytes));
      device.queue.submit([encoder.finish()]);
    });
    await mapForReading(ctx, staging);
    const mapped = staging.getMappedRange();
    const vectors = sources.map((_, i) => new Float32Array(mapped.slice(i * stride, i * stride + bytes)));
    staging.unmap();
    return vectors;
  } finally {
    staging.destroy();
  }
}

/** A program ready to dispatch: pipeline, its own uniform buffer, a bind group over `buffers`. */
export interface BoundStep {
  program: KernelProgram;
  pipeline: CachedPipeline;
  uniformBuffer: GPUBuffer;
  bindGroup: GPUBindGroup;
}

export function createUniformBuffer(device: GPUDevice, program: KernelProgram): GPUBuffer {
  const buffer = device.createBuffer({
    label: `uniforms ${program.name}`,
    size: program.uniforms.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, program.uniforms);
  return buffer;
}

export function createBindGroup(
  device: GPUDevice,
  pipeline: CachedPipeline,
  uniformBuffer: GPUBuffer,
  buffers: readonly (GPUBuffer | GPUBufferBinding)[],
  label: string,
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.bindGroupLayout,
    entries: [uniformBuffer, ...buffers].map((buffer, binding) => ({ binding, resource: 'buffer' in buffer ? buffer : { buffer } })),
  });
}

/** The first `rows` rows of a row-major matrix whose `cols` columns are padded to a multiple of 4, without the padding. */
export async function readRows(ctx: GpuContext, buffer: GPUBuffer, rows: number, cols: number): Promise<Float32Array> {
  const cols4 = Math.ceil(cols / 4) * 4;
  const raw = await readF32(ctx, buffer, 0, rows * cols4);
  if (cols4 === cols) return raw;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(raw.subarray(r * cols4, r * cols4 + cols), r * cols);
  return out;
}

/** A buffer to bind: a whole buffer or a window of one. */
export type BufferResource = GPUBuffer | GPUBufferBinding;

/** Buffers by the names a program gives its bindings (KernelProgram.bindingNames). */
export type NamedBuffers = Readonly<Record<string, BufferResource>>;

/** The buffers in the program's binding order; a name missing or unknown is an error that names it. */
export function inBindingOrder<B extends BufferResource>(program: KernelProgram, buffers: Readonly<Record<string, B>>): B[] {
  const names = program.bindingNames;
  const unknown = Object.keys(buffers).filter((name) => !names.includes(name));
  const missing = names.filter((name) => !(name in buffers));
  if (unknown.length > 0 || missing.length > 0) {
    throw new RangeError(
      `${program.name} binds ${names.join(', ')}${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''}${unknown.length > 0 ? `; not its bindings: ${unknown.join(', ')}` : ''}`,
    );
  }
  return names.map((name) => buffers[name]);
}

export async function bindStep(ctx: GpuContext, program: KernelProgram, buffers: NamedBuffers): Promise<BoundStep> {
  const ordered = inBindingOrder(program, buffers);
  const pipeline = await ctx.pipelines.pipeline(program);
  const uniformBuffer = createUniformBuffer(ctx.device, program);
  const bindGroup = createBindGroup(ctx.device, pipeline, uniformBuffer, ordered, program.name);
  return { program, pipeline, uniformBuffer, bindGroup };
}

export function encodeStep(pass: GPUComputePassEncoder, step: { pipeline: CachedPipeline; bindGroup: GPUBindGroup; program: KernelProgram }): void {
  pass.setPipeline(step.pipeline.pipeline);
  pass.setBindGroup(0, step.bindGroup);
  const [x, y, z] = step.program.dispatch;
  pass.dispatchWorkgroups(x, y, z);
}

/** Runs programs in order in one submission and waits for them (checks, tools). */
export async function runPrograms(
  ctx: GpuContext,
  runs: ReadonlyArray<{ program: KernelProgram; buffers: NamedBuffers }>,
): Promise<void> {
  ctx.assertAlive();
  const steps: BoundStep[] = [];
  try {
    await withErrorScopes(ctx.device, `running ${runs.map((r) => r.program.name).join(', ')}`, async () => {
      for (const run of runs) steps.push(await bindStep(ctx, run.program, run.buffers));
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (const step of steps) encodeStep(pass, step);
      pass.end();
      ctx.device.queue.submit([encoder.finish()]);
    });
    await ctx.device.queue.onSubmittedWorkDone();
  } finally {
    for (const step of steps) step.uniformBuffer.destroy();
  }
}

/**
 * Maps a staging buffer for reading: the one wait of a read-back. A device lost or an uncaptured
 * error during the work it waited for is reported as DeviceLostError, with the cause.
 */
export async function mapForReading(ctx: GpuContext, staging: GPUBuffer): Promise<void> {
  try {
    await staging.mapAsync(GPUMapMode.READ);
  } catch (error) {
    ctx.assertAlive();
    throw error;
  }
  ctx.assertAlive();
}

/**
 * Bind groups by pipeline and buffers, each made once, so that a loop that binds the same
 * buffers again (every optimizer step) creates none.
 */
export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;

  constructor(private readonly device: GPUDevice) {}

  get(label: string, pipeline: CachedPipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    const key = `${pipeline.key}|${buffers.map((b) => this.idOf(b)).join(',')}`;
    let group = this.groups.get(key);
    if (!group) {
      group = this.device.createBindGroup({
        label,
        layout: pipeline.bindGroupLayout,
        entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      this.groups.set(key, group);
    }
    return group;
  }

  /** The group of `program` over its uniform buffer and `buffers`, bound by the program's names. */
  bind(program: KernelProgram, pipeline: CachedPipeline, uniformBuffer: GPUBuffer, buffers: Readonly<Record<string, GPUBuffer>>): GPUBindGroup {
    return this.get(program.name, pipeline, [uniformBuffer, ...inBindingOrder(program, buffers)]);
  }

  /** Drops the groups that name `buffer` (it is about to be destroyed). */
  forget(buffer: GPUBuffer): void {
    const id = this.ids.get(buffer);
    if (id === undefined) return;
    for (const key of [...this.groups.keys()]) {
      if (key.slice(key.lastIndexOf('|') + 1).split(',').includes(String(id))) this.groups.delete(key);
    }
  }

  /** Bind groups held (tests check that a long run stops making new ones). */
  get size(): number {
    return this.groups.size;
  }

  clear(): void {
    this.groups.clear();
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buffer, id);
    }
    return id;
  }
}

/**
 * Runs async GPU work one piece after another (a model's read-backs share staging buffers):
 * each call starts when the previous one settled, whatever its outcome.
 */
export class Serial {
  private pending: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.pending.then(fn, fn);
    this.pending = run.catch(() => undefined);
    return run;
  }
}

/**
 * Writes a float32 vector of exactly `length` values (θ, or a vector of θ's length) into `buffer`
 * at `offset` (in f32s); `what` names its holder in the error.
 */
export function writeVector(device: GPUDevice, buffer: GPUBuffer, length: number, values: ArrayLike<number>, what: string, offset = 0): void {
  if (values.length !== length) throw new RangeError(`θ has ${values.length} values; ${what} needs ${length}`);
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  device.queue.writeBuffer(buffer, offset * 4, f32.buffer, f32.byteOffset, f32.byteLength);
}
