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
import {
  DIRECTION_TERM_BYTES,
  LBFGS_IDLE_STEP,
  LBFGS_REPORT,
  lbfgsLayout,
  lbfgsPartialsLength,
  lbfgsPrograms,
  lbfgsReportLength,
  lbfgsUniforms,
  packDirectionTerms,
  ROW_PRODUCT_COUNT,
  ROW_PRODUCTS,
  SCALARS,
  type LbfgsKernel,
  type LbfgsShape,
  type LbfgsStep,
} from './optimizer-programs';
import { ReadBackPacer } from './pacer';
import type { CachedPipeline } from './pipelines';
import type { KernelProgram } from './programs';
import { BindGroupCache, createStorageBuffer, mapForReading, readVectors, writeVector, type VectorAt } from './runtime';

/**
 * One evaluation in this many is timed (timestamp queries), and counts for all of them in the
 * context's GPU time: its evaluations are the same work over and over, and timestamps are not
 * free. Measured on lavapipe at 64-25 (Node, load ~6, 60 rounds alternating): a submission with
 * them took 0.5 ms more (paired median), 0.25–0.36 of it the timestamp writes; the bench's
 * evaluations, which a training run is measured against, have none. The first submissions
 * (compilation) are not the ones timed.
 */
export const TIMED_EVERY = 8;

/** What the backend minimizes: records f(θ) and ∇f(θ) into a pass, the cost into costBuffer. */
export interface GpuObjective {
  /** θ's length. */
  readonly length: number;
  encode(pass: GPUComputePassEncoder, theta: GPUBuffer, grad: GPUBuffer): void;
  /** 16 bytes: the cost (and up to three parts) of the last evaluation encoded. */
  readonly costBuffer: GPUBuffer;
  decode(values: Float32Array): Evaluation;
}

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

/**
 * Refuses an L-BFGS memory that would not fit one GPU binding, before any buffer is made: the
 * command lines ask it of every stage before the first one starts.
 */
export function checkLbfgsFits(device: GPUDevice, length: number, corrections: number): void {
  const { stride4 } = lbfgsLayout({ length, corrections });
  const ringBytes = corrections * stride4 * 16;
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  if (ringBytes > maxBinding) {
    throw new ResourceLimitError(
      `L-BFGS's memory of ${corrections} pairs of ${length} values needs ${formatBytes(ringBytes)} for its s (and again for its y) in one GPU buffer; ` +
        `this adapter's largest is ${formatBytes(maxBinding)}`,
      ['hidden', 'optimizer', 'cpu'],
    );
  }
}

export class GpuLbfgsBackend implements LbfgsBackend<GpuTrial> {
  readonly length: number;
  private readonly device: GPUDevice;
  private readonly shape: LbfgsShape;
  private readonly stride4: number;
  private readonly pipelines = new Map<LbfgsKernel, CachedPipeline>();
  /**
   * The kernels for the rows listed now (made again only when their number changes); the params
   * buffer holds the uniform block of the step last written, which is what every kernel reads.
   */
  private programs: Record<LbfgsKernel, KernelProgram>;
  private programRows = 0;
  private readonly bindGroups: BindGroupCache;
  private readonly owned: GPUBuffer[] = [];
  private readonly buffers: Record<'params' | 'x' | 'd' | 'xTrial' | 'zero' | 's' | 'y' | 'terms' | 'rows' | 'partials' | 'report', GPUBuffer>;
  private readonly staging: GPUBuffer;
  private readonly reportBytes: number;
  private readonly timer: PassTimer | null;
  /** Submissions so far: one in TIMED_EVERY is timed. */
  private submissions = 0;
  /** Every evaluation's read-back waits for about the same work: paced (./pacer.ts). */
  private readonly pacer: ReadBackPacer;
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
    this.shape = { length: this.length, corrections };
    const { n4, stride4 } = lbfgsLayout(this.shape);
    this.stride4 = stride4;
    this.programs = lbfgsPrograms(this.shape, LBFGS_IDLE_STEP);
    checkLbfgsFits(this.device, this.length, m);
    const ringBytes = m * this.stride4 * 16;
    const vectorBytes = n4 * 16;
    const own = (bytes: number, label: string, usage = 0) => {
      const buffer = usage
        ? this.device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage })
        : createStorageBuffer(this.device, bytes, label);
      this.owned.push(buffer);
      return buffer;
    };
    this.reportBytes = lbfgsReportLength(2 * m) * 4;
    this.buffers = {
      params: own(this.programs.accept.uniforms.byteLength, 'L-BFGS step parameters', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
      x: own(vectorBytes, 'L-BFGS x'),
      d: own(vectorBytes, 'L-BFGS d'),
      xTrial: own(vectorBytes, 'L-BFGS trial point'),
      zero: own(vectorBytes, 'zeros'),
      s: own(ringBytes, 'L-BFGS S ring'),
      y: own(ringBytes, 'L-BFGS Y ring'),
      terms: own((2 * m + 1) * DIRECTION_TERM_BYTES, 'L-BFGS direction terms'),
      rows: own(2 * m * 4, 'L-BFGS listed rows'),
      partials: own(lbfgsPartialsLength(this.shape) * 4, 'L-BFGS product partials'),
      report: own(this.reportBytes, 'L-BFGS products'),
    };
    this.timer = PassTimer.create(this.device);
    this.pacer = new ReadBackPacer(ctx.pollsWhileWaiting ?? false);
    this.staging = own(16 + this.reportBytes + PassTimer.BYTES + 8, 'L-BFGS read-back', GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    this.gradients = new TrialGradients(() => own(vectorBytes, 'L-BFGS gradient'));
    this.g = this.gradients.take();
    this.table = new InnerProductTable(m);
  }

  /**
   * The kernels' programs for θ of this length. They do not depend on the shape (a step changes
   * only the uniforms and dispatch sizes): a run warms them up early (./warm-up.ts), and an engine
   * compiles them with its model's (compile), so create() finds them in the context's cache.
   */
  static programs(length: number, corrections = DEFAULT_CORRECTIONS): KernelProgram[] {
    return Object.values(lbfgsPrograms({ length, corrections }, LBFGS_IDLE_STEP));
  }

  /** The pipelines made ahead, before a run starts. Measured at 64-25 on lavapipe: 80 ms of a run's start were these pipelines. */
  static async compile(ctx: GpuContext): Promise<void> {
    const programs = GpuLbfgsBackend.programs(1, 1);
    await withErrorScopes(ctx.device, 'creating the GPU L-BFGS kernels', () => Promise.all(programs.map((program) => ctx.pipelines.pipeline(program))));
  }

  /** `corrections`: minFunc's Corr, the pairs kept. */
  static async create(ctx: GpuContext, objective: GpuObjective, corrections = DEFAULT_CORRECTIONS): Promise<GpuLbfgsBackend> {
    checkCorrections(corrections);
    ctx.assertAlive();
    let backend: GpuLbfgsBackend | undefined;
    try {
      return await withErrorScopes(ctx.device, 'creating the GPU L-BFGS kernels', async () => {
        backend = new GpuLbfgsBackend(ctx, objective, corrections);
        // A step changes only the uniforms and dispatch sizes, not the pipelines. All are asked
        // for at once, so a driver that compiles in parallel (Dawn's async creation) can.
        const programs = Object.entries(backend.programs) as [LbfgsKernel, KernelProgram][];
        const pipelines = await Promise.all(programs.map(([, program]) => ctx.pipelines.pipeline(program)));
        programs.forEach(([kind], k) => backend!.pipelines.set(kind, pipelines[k]));
        return backend;
      });
    } catch (error) {
      backend?.dispose();
      throw error;
    }
  }

  // --- LbfgsBackend -------------------------------------------------------------------------

  async start(x0: ArrayLike<number>): Promise<StartPoint> {
    this.writeVector(this.buffers.x, x0, 'L-BFGS x');
    this.writeStep({});
    // The start's "trial" is x itself, with d = 0 and g = 0: the report gives Σ|g| and max|g|.
    const zero = this.buffers.zero;
    const report = await this.submitEvaluation(this.buffers.x, this.g, zero, zero, () => {});
    return { ...report.evaluation, gradMaxAbs: report.scalars[LBFGS_REPORT.gPlusMaxAbs], gradSumAbs: report.scalars[LBFGS_REPORT.gPlusSumAbs] };
  }

  restore(state: LbfgsState): void {
    this.assertUsable();
    const pairs = state.corrections.slice(-this.corrections);
    this.writeVector(this.buffers.x, state.x, 'L-BFGS x');
    this.writeVector(this.g, state.grad, 'L-BFGS gradient');
    this.slots = pairs.map((_, j) => j);
    pairs.forEach((pair, j) => {
      this.writeVector(this.buffers.s, pair.s, `L-BFGS s ${j}`, this.ringRow(j));
      this.writeVector(this.buffers.y, pair.y, `L-BFGS y ${j}`, this.ringRow(j));
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
    const terms = [
      ...this.slots.map((slot, i) => ({ row: slot, coefficient: a[i] })),
      ...this.slots.map((slot, i) => ({ row: this.corrections + slot, coefficient: b[i] })),
    ];
    this.device.queue.writeBuffer(this.buffers.terms, 0, packDirectionTerms(terms));
    const pending = this.pending;
    this.pending = null;
    this.writeStep({ gCoef: c, trialStep: t, terms: 2 * k, ...this.acceptStep(pending) });
    const gPlus = this.gradients.take();
    const report = await this.submitEvaluation(this.buffers.xTrial, gPlus, this.buffers.d, this.g, (pass) => {
      if (pending) this.encodeAccept(pass, pending);
      this.encode(pass, 'direction', {
        terms: this.buffers.terms,
        directionS: this.buffers.s,
        directionY: this.buffers.y,
        directionG: this.g,
        directionX: this.buffers.x,
        directionD: this.buffers.d,
        directionXTrial: this.buffers.xTrial,
      });
    });
    const trial = this.trialFrom(t, report, gPlus);
    return { gtd: trial.gd, maxAbsD: trial.maxAbsD, trial };
  }

  async trial(t: number): Promise<GpuTrial> {
    this.assertUsable();
    this.writeStep({ trialStep: t });
    const gPlus = this.gradients.take();
    const report = await this.submitEvaluation(this.buffers.xTrial, gPlus, this.buffers.d, this.g, (pass) => {
      this.encode(pass, 'trial', { trialX: this.buffers.x, trialD: this.buffers.d, trialXTrial: this.buffers.xTrial });
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
    // x, g and every pair in one copy and one wait (a checkpoint of the MNIST model is 250 MB).
    const [x, grad, ...pairs] = await this.readVectors([
      [this.buffers.x, 0],
      [this.g, 0],
      ...this.slots.flatMap((slot): VectorAt[] => [
        [this.buffers.s, this.ringRow(slot)],
        [this.buffers.y, this.ringRow(slot)],
      ]),
    ]);
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

  /** θ-sized vectors, as float64, through one staging buffer and one wait. */
  private async readVectors(sources: readonly VectorAt[]): Promise<Float64Array[]> {
    const vectors = await readVectors(this.ctx, sources, this.length);
    return vectors.map((v) => Float64Array.from(v));
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
    this.writeStep(this.acceptStep(pending));
    const encoder = this.device.createCommandEncoder({ label: 'L-BFGS accept' });
    const pass = encoder.beginComputePass({ label: 'L-BFGS accept' });
    this.encodeAccept(pass, pending);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  private acceptStep(pending: PendingAccept | null): Partial<LbfgsStep> {
    if (!pending) return { acceptStep: 0, addPair: false };
    return { acceptStep: pending.step, addPair: pending.slot !== null, slot: pending.slot ?? 0 };
  }

  /** Records the accept kernel; the old gradient is free for reuse after it. */
  private encodeAccept(pass: GPUComputePassEncoder, pending: PendingAccept): void {
    this.encode(pass, 'accept', {
      acceptD: this.buffers.d,
      acceptGPlus: this.g,
      acceptG: pending.oldGradient,
      acceptX: this.buffers.x,
      acceptS: this.buffers.s,
      acceptY: this.buffers.y,
    });
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
    const timer = ++this.submissions % TIMED_EVERY === 0 ? this.timer : null;
    const pass = encoder.beginComputePass({ label: 'L-BFGS evaluation', timestampWrites: timer?.timestampWrites });
    before(pass);
    this.objective.encode(pass, theta, gPlus);
    this.encode(pass, 'products', {
      rowList: this.buffers.rows,
      productsS: this.buffers.s,
      productsY: this.buffers.y,
      productsD: d,
      productsGPlus: gPlus,
      productsG: g,
      partials: this.buffers.partials,
    });
    this.encode(pass, 'finalize', { finalPartials: this.buffers.partials, report: this.buffers.report });
    pass.end();
    encoder.copyBufferToBuffer(this.objective.costBuffer, 0, this.staging, 0, 16);
    encoder.copyBufferToBuffer(this.buffers.report, 0, this.staging, 16, this.reportBytes);
    const timeOffset = Math.ceil((16 + this.reportBytes) / 8) * 8;
    timer?.encodeCopy(encoder, this.staging, timeOffset);
    this.device.queue.submit([encoder.finish()]);

    await this.pacer.wait(() => mapForReading(this.ctx, this.staging)); // a device lost or an uncaptured error stops the run here
    const mapped = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    if (timer) this.ctx.counters.gpuSeconds += TIMED_EVERY * PassTimer.seconds(mapped, timeOffset);
    const values = new Float32Array(mapped, 0, 4 + lbfgsReportLength(2 * k));
    return {
      evaluation: this.objective.decode(values.subarray(0, 4)),
      scalars: values.subarray(4, 4 + SCALARS),
      rows: values.subarray(4 + SCALARS),
    };
  }

  private trialFrom(t: number, report: Awaited<ReturnType<GpuLbfgsBackend['submitEvaluation']>>, gPlus: GPUBuffer): GpuTrial {
    const { evaluation, scalars, rows } = report;
    const count = rows.length / ROW_PRODUCT_COUNT;
    const column = (c: number) => Float64Array.from({ length: count }, (_, r) => rows[ROW_PRODUCT_COUNT * r + c]);
    const trial: GpuTrial = {
      t,
      f: evaluation.cost,
      parts: evaluation.parts,
      gtd: scalars[LBFGS_REPORT.gPlusD],
      ys: t * scalars[LBFGS_REPORT.deltaD],
      yy: scalars[LBFGS_REPORT.deltaDelta],
      gradMaxAbs: scalars[LBFGS_REPORT.gPlusMaxAbs],
      rowsD: column(ROW_PRODUCTS.d),
      rowsGPlus: column(ROW_PRODUCTS.gPlus),
      rowsDelta: column(ROW_PRODUCTS.delta),
      dd: scalars[LBFGS_REPORT.dd],
      gPlusDelta: scalars[LBFGS_REPORT.gPlusDelta],
      gradSumAbs: scalars[LBFGS_REPORT.gPlusSumAbs],
      maxAbsD: scalars[LBFGS_REPORT.dMaxAbs],
      gd: scalars[LBFGS_REPORT.gD],
    };
    this.gradients.bind(trial, gPlus);
    return trial;
  }

  private writeVector(buffer: GPUBuffer, values: ArrayLike<number>, what: string, offset = 0): void {
    writeVector(this.device, buffer, this.length, values, what, offset);
  }

  /** Where pair slot `slot` starts in each ring, in f32s. */
  private ringRow(slot: number): number {
    return slot * this.stride4 * 4;
  }

  /**
   * Writes the step's uniform block, which every kernel of the next submission reads, and makes
   * the kernels for its rows current. Only the block is made per step (making the five programs
   * again per submission was a tenth of a millisecond and most of the optimizer's allocations).
   */
  private writeStep(fields: Partial<LbfgsStep>): void {
    const step = { ...LBFGS_IDLE_STEP, rows: 2 * this.slots.length, ...fields };
    if (step.rows !== this.programRows) {
      this.programs = lbfgsPrograms(this.shape, { ...LBFGS_IDLE_STEP, rows: step.rows });
      this.programRows = step.rows;
    }
    this.device.queue.writeBuffer(this.buffers.params, 0, lbfgsUniforms(this.shape, step));
  }

  private encode(pass: GPUComputePassEncoder, kind: LbfgsKernel, buffers: Readonly<Record<string, GPUBuffer>>): void {
    const program = this.programs[kind];
    const pipeline = this.pipelines.get(kind)!;
    const [x, y, z] = program.dispatch;
    pass.setPipeline(pipeline.pipeline);
    pass.setBindGroup(0, this.bindGroups.bind(program, pipeline, this.buffers.params, buffers));
    pass.dispatchWorkgroups(x, y, z);
  }
}
