/**
 * L-BFGS with its vectors on the GPU, in the vector-free form (src/optim/vector-free.ts).
 *
 * The pairs are rows of two ring matrices S and Y with a fixed slot per pair. Each evaluation is
 * one submission, in one compute pass:
 *
 *   [accept: x ← x + t·d, new pair into its slot]          (with the first trial of a line search)
 *   [direction: d ← Σ δⱼ·rowⱼ + c·g; x₊ ← x + t₀·d]        (δ from the CPU's float64 recursion)
 *   or [trial: x₊ ← x + t·d]                               (later trials)
 *   the objective at x₊ → g₊ (its own dispatches)
 *   products: rowᵀd, rowᵀg₊, rowᵀ(g₊ − g) for every pair row, and the scalars of minFunc's tests
 *
 * and one read-back of the cost and those products, into a staging buffer that is reused. So an
 * iteration costs one wait per evaluation and, besides the objective's, four or five dispatches
 * whatever the number of pairs, and no bind group is made after the first iterations.
 */
import {
  checkCorrections,
  DEFAULT_CORRECTIONS,
  TrialGradients,
  type DirectionTrial,
  type Evaluation,
  type LbfgsBackend,
  type LbfgsState,
  type StartPoint,
  type Trial,
} from '../optim/lbfgs';
import { directionCoefficients, InnerProductTable, innerProductsOf } from '../optim/vector-free';
import { PassTimer } from './counters';
import type { GpuContext } from './device';
import { formatBytes, ResourceLimitError, withErrorScopes } from './errors';
import type { BindingKind, CachedPipeline } from './pipelines';
import { grid1d, packUniforms } from './programs';
import { BindGroupCache, createStorageBuffer, mapForReading } from './runtime';
import lbfgsSource from '../../shaders/lbfgs.wgsl?raw';

/** What the backend minimizes: records f(θ) and ∇f(θ) into a pass, the cost into costBuffer. */
export interface GpuObjective {
  /** θ's length. */
  readonly length: number;
  encode(pass: GPUComputePassEncoder, theta: GPUBuffer, grad: GPUBuffer): void;
  /** 16 bytes: the cost (and up to three parts) of the last evaluation encoded. */
  readonly costBuffer: GPUBuffer;
  decode(values: Float32Array): Evaluation;
}

const WG = 64;
/** Vector scalars at the head of each evaluation's report (see shaders/lbfgs.wgsl). */
const SCALARS = 12;
const [DD, GPLUS_D, DELTA_D, GPLUS_DELTA, DELTA_DELTA, GPLUS_SUM_ABS, GPLUS_MAX_ABS, D_MAX_ABS, G_D] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
/** At most this many chunks per reduction, so the final sums stay short. */
const MAX_CHUNKS = 64;
/** Ring rows per workgroup of the products kernel (ROWS in the shader). */
const PRODUCT_ROWS = 4;

/**
 * How the products kernel cuts a vector of `length` values: chunks of at least 1024 vec4s (few,
 * fat workgroups: on lavapipe each costs, and 4× fewer halved the kernel's time) and at most
 * MAX_CHUNKS of them.
 */
export function productChunks(length: number): { chunk4: number; chunks: number } {
  const n4 = Math.ceil(length / 4);
  const chunk4 = Math.max(1024, Math.ceil(n4 / MAX_CHUNKS));
  return { chunk4, chunks: Math.ceil(n4 / chunk4) };
}

/**
 * The longest accumulation chain behind one inner product (tolerance.ts): per lane ⌈chunk/64⌉
 * fmas, the 4 lanes (2), the 64-wide workgroup tree (6), the sum over the chunks.
 */
export function productsChainLength(length: number): number {
  const { chunk4, chunks } = productChunks(length);
  return Math.ceil(chunk4 / 64) + 2 + 6 + chunks;
}

type LbfgsKernel = 'accept' | 'direction' | 'trial' | 'products' | 'finalize';

const LAYOUTS: Record<LbfgsKernel, BindingKind[]> = {
  // params, d, g₊, g, x, S, Y
  accept: ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'storage', 'storage'],
  // params, terms, S, Y, g, x, d, x₊
  direction: ['uniform', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'read-only-storage', 'storage', 'storage'],
  // params, x, d, x₊
  trial: ['uniform', 'read-only-storage', 'read-only-storage', 'storage'],
  // params, rows, S, Y, d, g₊, g, partials
  products: [
    'uniform',
    'read-only-storage',
    'read-only-storage',
    'read-only-storage',
    'read-only-storage',
    'read-only-storage',
    'read-only-storage',
    'storage',
  ],
  // params, partials, report
  finalize: ['uniform', 'read-only-storage', 'storage'],
};

/** A trial with the inner products its evaluation reported. */
interface GpuTrial extends Trial {
  /** rowᵀd, rowᵀg₊, rowᵀ(g₊ − g) for the listed rows (s rows then y rows, age order). */
  readonly rowsD: Float64Array;
  readonly rowsGPlus: Float64Array;
  readonly rowsDelta: Float64Array;
  readonly dd: number;
  readonly gPlusDelta: number;
  readonly gradSumAbs: number;
  readonly maxAbsD: number;
  /** gᵀd at the current point (the slope the line search starts from). */
  readonly gd: number;
}

interface PendingAccept {
  step: number;
  slot: number | null;
  oldGradient: GPUBuffer;
}

export class GpuLbfgsBackend implements LbfgsBackend<GpuTrial> {
  readonly length: number;
  private readonly device: GPUDevice;
  private readonly n4: number;
  private readonly stride4: number;
  private readonly chunk4: number;
  private readonly chunks: number;
  private readonly pipelines = new Map<LbfgsKernel, CachedPipeline>();
  private readonly bindGroups: BindGroupCache;
  private readonly owned: GPUBuffer[] = [];
  private readonly buffers: Record<'params' | 'x' | 'd' | 'xTrial' | 'zero' | 's' | 'y' | 'terms' | 'rows' | 'partials' | 'report', GPUBuffer>;
  private readonly staging: GPUBuffer;
  private readonly reportBytes: number;
  private readonly timer: PassTimer | null;
  private readonly gradients: TrialGradients<GPUBuffer>;
  private g: GPUBuffer;
  /** Ring slots in use, oldest pair first. */
  private slots: number[] = [];
  private ys: number[] = [];
  private hDiag = 1;
  private table: InnerProductTable;
  private pending: PendingAccept | null = null;
  private disposed = false;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly objective: GpuObjective,
    readonly corrections: number,
  ) {
    this.device = ctx.device;
    this.bindGroups = new BindGroupCache(this.device);
    this.length = objective.length;
    const m = corrections;
    this.n4 = Math.ceil(this.length / 4);
    this.stride4 = Math.ceil(this.n4 / 16) * 16;
    ({ chunk4: this.chunk4, chunks: this.chunks } = productChunks(this.length));
    const ringBytes = m * this.stride4 * 16;
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    if (ringBytes > maxBinding) {
      throw new ResourceLimitError(
        `L-BFGS's memory of ${m} pairs of ${this.length} values needs ${formatBytes(ringBytes)} for its s (and again for its y) in one GPU buffer; ` +
          `this adapter's largest is ${formatBytes(maxBinding)}: use fewer hidden units, a first-order --optimizer, or --device cpu`,
      );
    }
    const vectorBytes = this.n4 * 16;
    const own = (bytes: number, label: string, usage = 0) => {
      const buffer = usage
        ? this.device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage })
        : createStorageBuffer(this.device, bytes, label);
      this.owned.push(buffer);
      return buffer;
    };
    this.reportBytes = (SCALARS + 3 * 2 * m) * 4;
    this.buffers = {
      params: own(64, 'L-BFGS step parameters', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
      x: own(vectorBytes, 'L-BFGS x'),
      d: own(vectorBytes, 'L-BFGS d'),
      xTrial: own(vectorBytes, 'L-BFGS trial point'),
      zero: own(vectorBytes, 'zeros'),
      s: own(ringBytes, 'L-BFGS S ring'),
      y: own(ringBytes, 'L-BFGS Y ring'),
      terms: own((2 * m + 1) * 8, 'L-BFGS direction terms'),
      rows: own(2 * m * 4, 'L-BFGS listed rows'),
      partials: own((Math.ceil((2 * m) / PRODUCT_ROWS) + 1) * this.chunks * SCALARS * 4, 'L-BFGS product partials'),
      report: own(this.reportBytes, 'L-BFGS products'),
    };
    this.timer = PassTimer.create(this.device);
    this.staging = own(16 + this.reportBytes + PassTimer.BYTES + 8, 'L-BFGS read-back', GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    this.gradients = new TrialGradients(() => own(vectorBytes, 'L-BFGS gradient'));
    this.g = this.gradients.take();
    this.table = new InnerProductTable(m);
  }

  /** `corrections`: minFunc's Corr, the pairs kept. */
  static async create(ctx: GpuContext, objective: GpuObjective, corrections = DEFAULT_CORRECTIONS): Promise<GpuLbfgsBackend> {
    checkCorrections(corrections);
    ctx.assertAlive();
    let backend: GpuLbfgsBackend | undefined;
    try {
      return await withErrorScopes(ctx.device, 'creating the GPU L-BFGS kernels', async () => {
        backend = new GpuLbfgsBackend(ctx, objective, corrections);
        for (const kind of Object.keys(LAYOUTS) as LbfgsKernel[]) {
          const pipeline = await ctx.pipelines.pipeline({
            shader: { file: 'shaders/lbfgs.wgsl', code: lbfgsSource },
            entryPoint: kind,
            constants: { WG },
            bindings: LAYOUTS[kind],
          });
          backend.pipelines.set(kind, pipeline);
        }
        return backend;
      });
    } catch (error) {
      backend?.dispose();
      throw error;
    }
  }

  // --- LbfgsBackend -------------------------------------------------------------------------

  async start(x0: ArrayLike<number>): Promise<StartPoint> {
    this.writeVector(this.buffers.x, x0);
    this.writeParams({});
    // The start's "trial" is x itself, with d = 0 and g = 0: the report gives Σ|g| and max|g|.
    const zero = this.buffers.zero;
    const report = await this.submitEvaluation(this.buffers.x, this.g, zero, zero, () => {});
    return { ...report.evaluation, gradMaxAbs: report.scalars[GPLUS_MAX_ABS], gradSumAbs: report.scalars[GPLUS_SUM_ABS] };
  }

  restore(state: LbfgsState): void {
    this.assertUsable();
    const pairs = state.corrections.slice(-this.corrections);
    this.writeVector(this.buffers.x, state.x);
    this.writeVector(this.g, state.grad);
    this.slots = pairs.map((_, j) => j);
    pairs.forEach((pair, j) => {
      this.writeVector(this.buffers.s, pair.s, j * this.stride4 * 16);
      this.writeVector(this.buffers.y, pair.y, j * this.stride4 * 16);
    });
    this.ys = pairs.map((pair) => pair.ys);
    this.hDiag = state.hDiag;
    const kept = state.innerProducts && state.innerProducts.count === pairs.length ? state.innerProducts : undefined;
    // A snapshot without the products (an older file, or one trimmed to fewer pairs): they are
    // computed again here, in float64, from the float32 vectors.
    this.table = new InnerProductTable(this.corrections, kept ?? innerProductsOf(pairs, state.grad));
    this.pending = null;
  }

  async directionAndTrial(t: number): Promise<DirectionTrial<GpuTrial>> {
    this.assertUsable();
    const { a, b, c } = directionCoefficients(this.table.current, this.ys, this.hDiag);
    const k = this.slots.length;
    // Terms in age order, s rows then y rows; the kernel adds them in this order.
    const terms = new ArrayBuffer((2 * k) * 8 + 8);
    const view = new DataView(terms);
    this.slots.forEach((slot, i) => {
      view.setUint32(i * 8, slot, true);
      view.setFloat32(i * 8 + 4, a[i], true);
      view.setUint32((k + i) * 8, this.corrections + slot, true);
      view.setFloat32((k + i) * 8 + 4, b[i], true);
    });
    this.device.queue.writeBuffer(this.buffers.terms, 0, terms);
    const pending = this.pending;
    this.pending = null;
    this.writeParams({ gCoef: c, trialStep: t, terms: 2 * k, ...this.acceptParams(pending) });
    const gPlus = this.gradients.take();
    const report = await this.submitEvaluation(this.buffers.xTrial, gPlus, this.buffers.d, this.g, (pass) => {
      if (pending) this.encodeAccept(pass, pending);
      this.encode(pass, 'direction', [this.buffers.terms, this.buffers.s, this.buffers.y, this.g, this.buffers.x, this.buffers.d, this.buffers.xTrial]);
    });
    const trial = this.trialFrom(t, report, gPlus);
    return { gtd: trial.gd, maxAbsD: trial.maxAbsD, trial };
  }

  async trial(t: number): Promise<GpuTrial> {
    this.assertUsable();
    this.writeParams({ trialStep: t });
    const gPlus = this.gradients.take();
    const report = await this.submitEvaluation(this.buffers.xTrial, gPlus, this.buffers.d, this.g, (pass) => {
      this.encode(pass, 'trial', [this.buffers.x, this.buffers.d, this.buffers.xTrial]);
    });
    return this.trialFrom(t, report, gPlus);
  }

  release(trial: GpuTrial): void {
    this.gradients.release(trial);
  }

  accept(trial: GpuTrial, pair: { ys: number; hDiag: number } | null): void {
    this.assertUsable();
    if (this.pending) throw new Error('internal: two steps accepted without a direction between them');
    const k = this.slots.length;
    this.table.accept(
      {
        step: trial.t,
        ds: trial.rowsD.subarray(0, k),
        dy: trial.rowsD.subarray(k, 2 * k),
        dd: trial.dd,
        deltaS: trial.rowsDelta.subarray(0, k),
        deltaY: trial.rowsDelta.subarray(k, 2 * k),
        ys: pair?.ys ?? trial.ys,
        yy: trial.yy,
        gPlusS: trial.rowsGPlus.subarray(0, k),
        gPlusY: trial.rowsGPlus.subarray(k, 2 * k),
        gPlusD: trial.gtd,
        gPlusDelta: trial.gPlusDelta,
      },
      pair !== null,
    );
    let slot: number | null = null;
    if (pair) {
      if (k === this.corrections) {
        slot = this.slots.shift()!;
        this.ys.shift();
      } else {
        slot = this.freeSlot();
      }
      this.slots.push(slot);
      this.ys.push(pair.ys);
      this.hDiag = pair.hDiag;
    }
    // x, the ring and g change on the GPU with the next submission (the next direction's).
    this.pending = { step: trial.t, slot, oldGradient: this.g };
    this.g = this.gradients.claim(trial);
  }

  async read(): Promise<LbfgsState> {
    this.flushPending();
    const rowBytes = this.stride4 * 16;
    // x, g and every pair in one copy and one wait (a checkpoint of the MNIST model is 250 MB).
    const sources: [GPUBuffer, number][] = [
      [this.buffers.x, 0],
      [this.g, 0],
      ...this.slots.flatMap((slot): [GPUBuffer, number][] => [
        [this.buffers.s, slot * rowBytes],
        [this.buffers.y, slot * rowBytes],
      ]),
    ];
    const [x, grad, ...pairs] = await this.readVectors(sources);
    const products = this.table.current;
    return {
      x,
      grad,
      hDiag: this.hDiag,
      corrections: this.slots.map((_, i) => ({ s: pairs[2 * i], y: pairs[2 * i + 1], ys: this.ys[i] })),
      innerProducts: {
        count: products.count,
        ss: products.ss.slice(),
        sy: products.sy.slice(),
        yy: products.yy.slice(),
        gs: products.gs.slice(),
        gy: products.gy.slice(),
      },
    };
  }

  async readX(): Promise<Float64Array> {
    this.flushPending();
    const [x] = await this.readVectors([[this.buffers.x, 0]]);
    return x;
  }

  /** The current direction d (tests compare it with the float64 two-loop recursion). */
  async readDirection(): Promise<Float64Array> {
    this.assertUsable();
    const [d] = await this.readVectors([[this.buffers.d, 0]]);
    return d;
  }

  /** θ-sized vectors at (buffer, byte offset), through one staging buffer and one wait. */
  private async readVectors(sources: [GPUBuffer, number][]): Promise<Float64Array[]> {
    const bytes = this.length * 4;
    const staging = this.device.createBuffer({
      label: 'L-BFGS vectors read-back',
      size: Math.max(16, sources.length * Math.ceil(bytes / 16) * 16),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const stride = Math.ceil(bytes / 16) * 16;
      const encoder = this.device.createCommandEncoder({ label: 'L-BFGS vectors read-back' });
      sources.forEach(([buffer, offset], i) => encoder.copyBufferToBuffer(buffer, offset, staging, i * stride, bytes));
      this.device.queue.submit([encoder.finish()]);
      await mapForReading(this.ctx, staging);
      const mapped = staging.getMappedRange();
      const vectors = sources.map((_, i) => Float64Array.from(new Float32Array(mapped, i * stride, this.length)));
      staging.unmap();
      return vectors;
    } finally {
      staging.destroy();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const buffer of this.owned) buffer.destroy();
    this.timer?.destroy();
    this.bindGroups.clear();
  }

  // -------------------------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.disposed) throw new Error('this GPU L-BFGS backend has been disposed');
    this.ctx.assertAlive();
  }

  private freeSlot(): number {
    for (let slot = 0; slot < this.corrections; slot++) if (!this.slots.includes(slot)) return slot;
    throw new Error('internal: no free L-BFGS slot');
  }

  /** A pending accept on its own (before a read-back of x or the pairs). */
  private flushPending(): void {
    this.assertUsable();
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.writeParams(this.acceptParams(pending));
    const encoder = this.device.createCommandEncoder({ label: 'L-BFGS accept' });
    const pass = encoder.beginComputePass({ label: 'L-BFGS accept' });
    this.encodeAccept(pass, pending);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  private acceptParams(pending: PendingAccept | null): Partial<Params> {
    if (!pending) return { acceptStep: 0, addPair: 0 };
    return { acceptStep: pending.step, addPair: pending.slot === null ? 0 : 1, slot: pending.slot ?? 0 };
  }

  /** Records the accept kernel; the old gradient is free for reuse after it. */
  private encodeAccept(pass: GPUComputePassEncoder, pending: PendingAccept): void {
    this.encode(pass, 'accept', [this.buffers.d, this.g, pending.oldGradient, this.buffers.x, this.buffers.s, this.buffers.y]);
    this.gradients.recycle(pending.oldGradient);
  }

  /**
   * One submission: `before` (the optimizer's kernels), the objective at `theta` into `gPlus`,
   * the products against d, g₊ and g; then one read-back of the cost and the products.
   */
  private async submitEvaluation(
    theta: GPUBuffer,
    gPlus: GPUBuffer,
    d: GPUBuffer,
    g: GPUBuffer,
    before: (pass: GPUComputePassEncoder) => void,
  ): Promise<{ evaluation: Evaluation; scalars: Float32Array; rows: Float32Array }> {
    const k = this.slots.length;
    const rows = new Uint32Array(Math.max(1, 2 * k));
    this.slots.forEach((slot, i) => {
      rows[i] = slot;
      rows[k + i] = this.corrections + slot;
    });
    this.device.queue.writeBuffer(this.buffers.rows, 0, rows);
    const encoder = this.device.createCommandEncoder({ label: 'L-BFGS evaluation' });
    const pass = encoder.beginComputePass({ label: 'L-BFGS evaluation', timestampWrites: this.timer?.timestampWrites });
    before(pass);
    this.objective.encode(pass, theta, gPlus);
    const rowGroups = Math.ceil((2 * k) / PRODUCT_ROWS);
    this.encode(pass, 'products', [this.buffers.rows, this.buffers.s, this.buffers.y, d, gPlus, g, this.buffers.partials], [this.chunks, rowGroups + 1, 1]);
    this.encode(pass, 'finalize', [this.buffers.partials, this.buffers.report], [Math.ceil((SCALARS + 3 * 2 * k) / WG), 1, 1]);
    pass.end();
    encoder.copyBufferToBuffer(this.objective.costBuffer, 0, this.staging, 0, 16);
    encoder.copyBufferToBuffer(this.buffers.report, 0, this.staging, 16, this.reportBytes);
    const timeOffset = Math.ceil((16 + this.reportBytes) / 8) * 8;
    this.timer?.encodeCopy(encoder, this.staging, timeOffset);
    this.device.queue.submit([encoder.finish()]);

    await mapForReading(this.ctx, this.staging); // a device lost or an uncaptured error stops the run here
    const mapped = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    if (this.timer) this.ctx.counters.gpuSeconds += PassTimer.seconds(mapped, timeOffset);
    const values = new Float32Array(mapped, 0, 4 + SCALARS + 6 * k);
    return {
      evaluation: this.objective.decode(values.subarray(0, 4)),
      scalars: values.subarray(4, 4 + SCALARS),
      rows: values.subarray(4 + SCALARS),
    };
  }

  private trialFrom(t: number, report: Awaited<ReturnType<GpuLbfgsBackend['submitEvaluation']>>, gPlus: GPUBuffer): GpuTrial {
    const { evaluation, scalars, rows } = report;
    const count = rows.length / 3;
    const column = (c: number) => Float64Array.from({ length: count }, (_, r) => rows[3 * r + c]);
    const trial: GpuTrial = {
      t,
      f: evaluation.cost,
      parts: evaluation.parts,
      gtd: scalars[GPLUS_D],
      ys: t * scalars[DELTA_D],
      yy: scalars[DELTA_DELTA],
      gradMaxAbs: scalars[GPLUS_MAX_ABS],
      rowsD: column(0),
      rowsGPlus: column(1),
      rowsDelta: column(2),
      dd: scalars[DD],
      gPlusDelta: scalars[GPLUS_DELTA],
      gradSumAbs: scalars[GPLUS_SUM_ABS],
      maxAbsD: scalars[D_MAX_ABS],
      gd: scalars[G_D],
    };
    this.gradients.bind(trial, gPlus);
    return trial;
  }

  private writeVector(buffer: GPUBuffer, values: ArrayLike<number>, byteOffset = 0): void {
    if (values.length !== this.length) throw new RangeError(`${values.length} values for a vector of ${this.length}`);
    const f32 = Float32Array.from(values);
    this.device.queue.writeBuffer(buffer, byteOffset, f32.buffer, f32.byteOffset, f32.byteLength);
  }

  private writeParams(fields: Partial<Params>): void {
    const p = { ...DEFAULT_PARAMS, ...fields };
    const data = packUniforms([
      ['u32', this.n4],
      ['u32', this.stride4],
      ['u32', p.terms],
      ['u32', 2 * this.slots.length],
      ['u32', this.chunk4],
      ['u32', this.chunks],
      ['u32', this.corrections],
      ['f32', p.acceptStep],
      ['u32', p.addPair],
      ['u32', p.slot],
      ['f32', p.gCoef],
      ['f32', p.trialStep],
    ]);
    this.device.queue.writeBuffer(this.buffers.params, 0, data);
  }

  private encode(pass: GPUComputePassEncoder, kind: LbfgsKernel, buffers: GPUBuffer[], grid?: [number, number, number]): void {
    const pipeline = this.pipelines.get(kind)!;
    const bindGroup = this.bindGroups.get(`L-BFGS ${kind}`, pipeline, [this.buffers.params, ...buffers]);
    const [x, y, z] = grid ?? grid1d(this.n4, WG).dispatch;
    pass.setPipeline(pipeline.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
  }
}

interface Params {
  terms: number;
  acceptStep: number;
  addPair: number;
  slot: number;
  gCoef: number;
  trialStep: number;
}

const DEFAULT_PARAMS: Params = { terms: 0, acceptStep: 0, addPair: 0, slot: 0, gCoef: 0, trialStep: 0 };
