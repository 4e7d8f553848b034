/**
 * sparseAutoencoderCost on the GPU: the same steps as src/reference/autoencoder.ts, one kernel
 * (or fused pair) per step, with the data set, θ, activations, deltas, partial sums, gradient
 * and cost all in GPU buffers (float32). One evaluation is one command encoder: no read-backs
 * except the four cost scalars (and ρ̂ when asked).
 *
 * Every matrix on the GPU is row-major with its column count padded to a multiple of 4 with
 * zeros (v4 = visible rounded up, h4 = hidden rounded up), so kernels move vec4s; θ and the
 * gradient keep UFLDL's packing [W1(:); W2(:); b1; b2] and the padded weight copies are made at
 * the start of each evaluation.
 *
 *   W1p = pad(W1ᵀblock)  W2p = pad(W2ᵀblock)
 *   a⁽²⁾ = σ(X·W1p + b1)                      matmul NN + bias/sigmoid epilogue
 *   ρ̂ = column means of a⁽²⁾                  column_sums → sum_slices
 *   a⁽³⁾ = σ(a⁽²⁾·W2p + b2)                   matmul NN + epilogue
 *   δ⁽³⁾, Σ(a⁽³⁾−x)², Σδ⁽³⁾                    output_delta → sum_slices (∇b2, reconstruction)
 *   backprop = δ⁽³⁾·W2p ᵀ                      matmul NT
 *   δ⁽²⁾, Σδ⁽²⁾                                hidden_delta → sum_slices (∇b1)
 *   ∇W1 = Xᵀδ⁽²⁾/m + λW1,  ∇W2 = a⁽²⁾ᵀδ⁽³⁾/m + λW2   matmul TN split-K → sum_slices
 *   ΣW1² + ΣW2²                               sum_squares
 *   [cost, reconstruction, weightDecay, sparsity]   cost
 *
 * A data set larger than one storage binding (maxStorageBufferBindingSize: 128 MiB on lavapipe,
 * 60,000 MNIST digits are 188 MB) is evaluated in pieces of `pieceRows` examples: X and a⁽²⁾
 * stay whole in their buffers and each piece binds its window of them; the per-example buffers
 * (a⁽³⁾, the deltas, the partial sums) hold one piece. ρ̂ needs every example before any δ⁽²⁾,
 * so the forward pass to a⁽²⁾ runs over all pieces first, then the rest piece by piece; each
 * sum_slices step adds its piece's share to what the previous pieces left (ρ̂, ∇b, ∇W, the
 * squared-error totals; λW once). One piece is exactly the unpieced evaluation.
 */
import { validateHyperparameters, type CostParts, type Dataset, type Hyperparameters } from '../reference/autoencoder';
import { thetaLayout, type Shape, type ThetaLayout } from '../reference/params';
import { chooseKernelConfig, type KernelConfig, type MatmulVariant } from './adapter';
import type { GpuContext } from './device';
import { formatBytes, ResourceLimitError, withErrorScopes } from './errors';
import {
  chunkCount,
  columnSumsProgram,
  costProgram,
  sumSlicesProgram,
  hiddenDeltaProgram,
  matmulProgram,
  outputDeltaProgram,
  padMatrixProgram,
  roundUp4,
  sumSquaresPartialCount,
  sumSquaresProgram,
  type KernelProgram,
} from './programs';
import { createStorageBuffer, readF32, readRows, Serial, writeVector } from './runtime';
import { checkBatch, checkBindingSizes, PIECE_ALIGNMENT, StepList, type Batch, type StepDefinition } from './steps';

export type { Batch } from './steps';

export interface GpuEvaluation {
  cost: number;
  parts: CostParts;
  /** ρ̂, when asked for. */
  meanActivation?: Float32Array;
}

export interface GpuAutoencoderOptions {
  /** Initial θ (UFLDL packing); zeros when absent. */
  theta?: ArrayLike<number>;
  batch?: Batch;
  /** Forces the matmul variant for this model (default: chooseKernelConfig's for the adapter). */
  matmulVariant?: MatmulVariant;
  /** A smaller storage-binding limit than the device's, to make pieces of small data (tests). */
  maxBindingBytes?: number;
}

/**
 * The most examples one piece may hold: its X window, a⁽³⁾ and δ⁽³⁾ (v4 floats a row), and the
 * split-K slices of ∇W1 (one per splitK rows) must each fit a binding of `maxBinding` bytes.
 */
export function pieceRowsFor(visibleSize: number, hiddenSize: number, splitK: number, maxBinding: number): number {
  const v4 = roundUp4(visibleSize);
  const h4 = roundUp4(hiddenSize);
  const byRows = Math.floor(maxBinding / (Math.max(v4, h4) * 4));
  const bySlices = Math.floor(maxBinding / (v4 * h4 * 4)) * splitK;
  return Math.floor(Math.min(byRows, bySlices) / PIECE_ALIGNMENT) * PIECE_ALIGNMENT;
}

export class GpuSparseAutoencoder {
  readonly shape: Shape;
  readonly examples: number;
  readonly layout: ThetaLayout;
  readonly config: KernelConfig;
  /** Examples per piece of a full evaluation (all of them when the data fit one binding). */
  readonly pieceRows: number;
  /** Pieces of a full evaluation: 1 when the data fit one binding. */
  readonly pieces: number;
  /** θ in UFLDL's packing, float32. */
  readonly thetaBuffer: GPUBuffer;
  /** ∇J(θ) in θ's packing, float32: written by every evaluation. */
  readonly gradBuffer: GPUBuffer;
  /** [cost, reconstruction, weightDecay, sparsity], float32. */
  readonly costBuffer: GPUBuffer;

  private hyperparameters: Hyperparameters;
  private currentBatch: Batch;
  /** Built by create(); each batch has its own uniforms, so one submission may hold several. */
  private steps!: StepList;
  /** With pieces > 1: the full data set's evaluation, piece by piece (`steps` serves mini-batches). */
  private fullSteps?: StepList;
  private readonly owned: GPUBuffer[] = [];
  private readonly buffers: Record<string, GPUBuffer>;
  private readonly costStaging: GPUBuffer;
  private readonly meanStaging: GPUBuffer;
  private readonly serial = new Serial();
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    shape: Shape,
    hyperparameters: Hyperparameters,
    dataset: Dataset,
    options: GpuAutoencoderOptions,
  ) {
    const { visibleSize: v, hiddenSize: h } = shape;
    if (!(Number.isInteger(v) && v > 0 && Number.isInteger(h) && h > 0)) {
      throw new RangeError(`sizes must be positive integers, got visible ${v}, hidden ${h}`);
    }
    if (dataset.visibleSize !== v) {
      throw new RangeError(`data has ${dataset.visibleSize} values per example; the model expects ${v}`);
    }
    const m = dataset.examples;
    if (!(Number.isInteger(m) && m > 0)) throw new RangeError('the data set is empty');
    if (dataset.data.length !== m * v) throw new RangeError(`data holds ${dataset.data.length} values, expected ${m} × ${v}`);
    validateHyperparameters(hyperparameters);

    this.shape = { visibleSize: v, hiddenSize: h };
    this.examples = m;
    this.layout = thetaLayout(shape);
    this.hyperparameters = { ...hyperparameters };
    this.currentBatch = checkBatch(options.batch ?? { start: 0, count: m }, m);
    this.config = chooseKernelConfig(ctx.adapterInfo, options.matmulVariant);

    const device = ctx.device;
    const v4 = roundUp4(v);
    const h4 = roundUp4(h);
    const xBytes = m * v4 * 4;
    const maxBinding = Math.min(options.maxBindingBytes ?? Infinity, device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    // Each binding must fit: say which does not, before creating any buffer.
    checkBindingSizes(device, [
      [`θ (${thetaLayout(shape).length} float32)`, thetaLayout(shape).length * 4, 'fewer hidden units'],
      [`W1 (${v} × ${h} float32)`, v4 * h4 * 4, 'fewer hidden units'],
    ]);
    const fits = m * Math.max(v4, h4) * 4 <= maxBinding && Math.ceil(m / this.config.splitK) * v4 * h4 * 4 <= maxBinding;
    const pieceLimit = pieceRowsFor(v, h, this.config.splitK, maxBinding);
    if (!fits && pieceLimit < PIECE_ALIGNMENT) {
      const bytes = Math.max(PIECE_ALIGNMENT * Math.max(v4, h4) * 4, v4 * h4 * 4);
      throw new ResourceLimitError(
        `a piece of ${PIECE_ALIGNMENT} examples of a ${v}-${h} model needs ${formatBytes(bytes)} in one GPU buffer; this adapter's largest is ${formatBytes(maxBinding)}: use fewer hidden units or visible values, or --device cpu`,
      );
    }
    this.pieces = fits ? 1 : Math.ceil(m / pieceLimit);
    this.pieceRows = fits ? m : pieceLimit;
    const rows = this.pieceRows;
    const chunks = chunkCount(rows);
    const slices = Math.ceil(rows / this.config.splitK);
    // The whole data set and a⁽²⁾ need one buffer each (bound in windows), within maxBufferSize.
    for (const [what, bytes] of [
      [`the data set (${m} × ${v} float32)`, xBytes],
      [`the hidden activations (${m} × ${h} float32)`, m * h4 * 4],
    ] as const) {
      if (bytes > device.limits.maxBufferSize) {
        throw new ResourceLimitError(`${what} needs ${formatBytes(bytes)} in one GPU buffer; this adapter's largest is ${formatBytes(device.limits.maxBufferSize)}: use fewer examples, or --device cpu`);
      }
    }
    const own = (bytes: number, label: string): GPUBuffer => {
      const buffer = createStorageBuffer(device, bytes, label);
      this.owned.push(buffer);
      return buffer;
    };
    const L = this.layout;
    this.buffers = {
      x: own(xBytes, 'X'),
      w1p: own(v4 * h4 * 4, 'W1 padded'),
      w2p: own(h4 * v4 * 4, 'W2 padded'),
      a2: own(m * h4 * 4, 'a2'),
      a3: own(rows * v4 * 4, 'a3'),
      delta3: own(rows * v4 * 4, 'delta3'),
      backprop: own(rows * h4 * 4, 'delta3·W2'),
      delta2: own(rows * h4 * 4, 'delta2'),
      columnPartials: own(chunks * Math.max(v4, h4) * 4, 'column partials'),
      squaredErrorPartials: own(chunks * v4 * 4, 'squared error partials'),
      splitPartials: own(slices * v4 * h4 * 4, 'split-K partials'),
      meanActivation: own(h4 * 4, 'rho hat'),
      squaredErrorTotals: own(v4 * 4, 'squared error column totals'),
      weightPartials: own(sumSquaresPartialCount(2 * h * v) * 4, 'weight square partials'),
    };
    this.thetaBuffer = own(L.length * 4, 'theta');
    this.gradBuffer = own(L.length * 4, 'gradient');
    this.costBuffer = own(16, 'cost');
    this.costStaging = device.createBuffer({ label: 'cost read-back', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.meanStaging = device.createBuffer({
      label: 'rho hat read-back',
      size: Math.max(16, h4 * 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.owned.push(this.costStaging, this.meanStaging);

    // The data set, padded to v4 columns, uploaded once.
    const padded = new Float32Array(m * v4);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < v; c++) padded[r * v4 + c] = dataset.data[r * v + c];
    }
    device.queue.writeBuffer(this.buffers.x, 0, padded);
    if (options.theta) this.writeTheta(options.theta);
  }

  static async create(
    ctx: GpuContext,
    shape: Shape,
    hyperparameters: Hyperparameters,
    dataset: Dataset,
    options: GpuAutoencoderOptions = {},
  ): Promise<GpuSparseAutoencoder> {
    ctx.assertAlive();
    let model: GpuSparseAutoencoder | undefined;
    try {
      model = await withErrorScopes(ctx.device, 'creating the GPU sparse autoencoder', async () => {
        const created = new GpuSparseAutoencoder(ctx, shape, hyperparameters, dataset, options);
        model = created;
        const bytes = created.layout.length * 4;
        const all = { start: 0, count: created.examples };
        if (created.pieces > 1) {
          created.fullSteps = await StepList.build(ctx, created.stepDefinitions(created.pieces), created.examples, all, bytes);
          created.fullSteps.bindGroupsFor(all, created.thetaBuffer, created.gradBuffer);
        }
        // One piece: every batch, or (with pieces) the mini-batches.
        const first = created.pieces > 1 ? { start: 0, count: created.maxBatch } : created.currentBatch;
        created.steps = await StepList.build(ctx, created.stepDefinitions(1), created.examples, first, bytes);
        const current = created.stepsFor(created.currentBatch);
        current.bindGroupsFor(created.currentBatch, created.thetaBuffer, created.gradBuffer);
        return created;
      });
      return model;
    } catch (error) {
      model?.destroy();
      throw error;
    }
  }

  get batch(): Batch {
    return { ...this.currentBatch };
  }

  /** Evaluates examples [start, start + count) by default from now on (nothing recompiles). */
  setBatch(batch: Batch): void {
    this.assertUsable();
    this.currentBatch = checkBatch(batch, this.examples);
    this.stepsFor(this.currentBatch).programsFor(this.currentBatch);
  }

  setHyperparameters(p: Hyperparameters): void {
    this.assertUsable();
    validateHyperparameters(p);
    this.hyperparameters = { ...p };
    this.steps.refresh();
    this.fullSteps?.refresh();
  }

  writeTheta(theta: ArrayLike<number>): void {
    this.assertUsable();
    writeVector(this.ctx.device, this.thetaBuffer, this.layout.length, theta, 'this autoencoder');
  }

  /**
   * Records the whole forward and backward pass into `pass`, reading θ from `thetaBuffer` and
   * writing ∇J into `gradBuffer` (default: this model's own), and the cost into costBuffer, over
   * `batch` (default: the current one). An optimizer records its own dispatches before and after
   * in the same pass, and several evaluations (of different batches, too) may share one pass.
   */
  encodeEvaluation(
    pass: GPUComputePassEncoder,
    thetaBuffer: GPUBuffer = this.thetaBuffer,
    gradBuffer: GPUBuffer = this.gradBuffer,
    batch: Batch = this.currentBatch,
  ): void {
    this.assertUsable();
    this.stepsFor(batch).encode(pass, thetaBuffer, gradBuffer, batch);
  }

  /** [cost, reconstruction, weightDecay, sparsity] as costBuffer holds them, as an evaluation. */
  static costOf(values: ArrayLike<number>): { cost: number; parts: CostParts } {
    return { cost: values[0], parts: { reconstruction: values[1], weightDecay: values[2], sparsity: values[3] } };
  }

  /** One submission; reads back only the four cost scalars (and ρ̂ when asked). */
  evaluate(options: { meanActivation?: boolean } = {}): Promise<GpuEvaluation> {
    return this.serialize(async () => {
      this.assertUsable();
      const device = this.ctx.device;
      const h = this.shape.hiddenSize;
      await withErrorScopes(device, 'evaluating the sparse autoencoder', () => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass({ label: 'sparse autoencoder cost and gradient' });
        this.encodeEvaluation(pass);
        pass.end();
        encoder.copyBufferToBuffer(this.costBuffer, 0, this.costStaging, 0, 16);
        if (options.meanActivation) encoder.copyBufferToBuffer(this.buffers.meanActivation, 0, this.meanStaging, 0, roundUp4(h) * 4);
        device.queue.submit([encoder.finish()]);
      });
      await this.costStaging.mapAsync(GPUMapMode.READ);
      const c = new Float32Array(this.costStaging.getMappedRange().slice(0));
      this.costStaging.unmap();
      const result: GpuEvaluation = GpuSparseAutoencoder.costOf(c);
      if (options.meanActivation) {
        await this.meanStaging.mapAsync(GPUMapMode.READ);
        result.meanActivation = new Float32Array(this.meanStaging.getMappedRange().slice(0, h * 4));
        this.meanStaging.unmap();
      }
      return result;
    });
  }

  readGradient(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.gradBuffer, 0, this.layout.length));
  }

  readTheta(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.thetaBuffer, 0, this.layout.length));
  }

  /** [cost, reconstruction, weightDecay, sparsity] as left by the last evaluation. */
  readCost(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.costBuffer, 0, 4));
  }

  readMeanActivation(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.buffers.meanActivation, 0, this.shape.hiddenSize));
  }

  /** a⁽²⁾ of the last evaluation's batch, row-major without padding: the features of the examples. */
  readHiddenActivations(): Promise<Float32Array> {
    return this.serialize(() => readRows(this.ctx, this.buffers.a2, this.currentBatch.count, this.shape.hiddenSize));
  }

  /**
   * a⁽²⁾, a⁽³⁾, δ⁽³⁾, δ⁽²⁾ of the last evaluation's batch, row-major without padding (tests).
   * An evaluation in pieces keeps only its last piece of a⁽³⁾ and the deltas: not readable.
   */
  readIntermediates(): Promise<{ a2: Float32Array; a3: Float32Array; delta3: Float32Array; delta2: Float32Array }> {
    return this.serialize(async () => {
      const { visibleSize: v, hiddenSize: h } = this.shape;
      const m = this.currentBatch.count;
      if (m > this.pieceRows) throw new RangeError(`the intermediates of ${m} examples evaluated in pieces of ${this.pieceRows} are not kept`);
      return {
        a2: await readRows(this.ctx, this.buffers.a2, m, h),
        a3: await readRows(this.ctx, this.buffers.a3, m, v),
        delta3: await readRows(this.ctx, this.buffers.delta3, m, v),
        delta2: await readRows(this.ctx, this.buffers.delta2, m, h),
      };
    });
  }

  /** The programs of one evaluation of the current batch in order (names, dispatch sizes, chain lengths). */
  get programs(): readonly KernelProgram[] {
    return this.stepsFor(this.currentBatch).programsFor(this.currentBatch).programs;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const buffer of this.owned) buffer.destroy();
    this.steps?.destroy();
    this.fullSteps?.destroy();
  }

  // -------------------------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.destroyed) throw new Error('this GpuSparseAutoencoder has been destroyed');
    this.ctx.assertAlive();
  }

  /** The largest mini-batch when the data come in pieces: one piece less its window's alignment. */
  private get maxBatch(): number {
    return this.pieceRows - WINDOW_ROWS;
  }

  /** The full data set in pieces, or the one-piece list (every batch when the data fit one binding). */
  private stepsFor(batch: Batch): StepList {
    if (this.pieces === 1) return this.steps;
    if (batch.start === 0 && batch.count === this.examples) return this.fullSteps!;
    if (batch.count > this.maxBatch) {
      throw new RangeError(`a batch of ${batch.count} examples is more than one piece of this data set holds (${this.maxBatch}); evaluate all ${this.examples} or at most ${this.maxBatch}`);
    }
    return this.steps;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  /**
   * The step list for an evaluation in `pieces` pieces (see the header): program factories (for
   * a batch, with the current hyperparameters) and the buffers or buffer windows each binds.
   */
  private stepDefinitions(pieces: number): StepDefinition[] {
    const { visibleSize: v, hiddenSize: h } = this.shape;
    const v4 = roundUp4(v);
    const h4 = roundUp4(h);
    const layout = this.layout;
    const buffer = this.buffers;
    const lanes = this.config.laneGroup;
    const { matmul: variant, subgroupSize, tiling, splitK } = this.config;
    const hyperparameters = () => this.hyperparameters;
    const windowed = this.pieces > 1;
    const R = this.pieceRows;
    /** Piece p of batch b (the batch itself when the list has one piece). */
    const piece = (b: Batch, p: number): Batch => (pieces === 1 ? b : { start: b.start + p * R, count: Math.min(R, b.count - p * R) });
    /** X's rows of the piece: the whole buffer and the first row, or a window that starts on an aligned row. */
    const xView = (b: Batch, p: number): { binding: GPUBuffer | GPUBufferBinding; row: number } => {
      const q = piece(b, p);
      if (!windowed) return { binding: buffer.x, row: q.start };
      const first = Math.floor(q.start / WINDOW_ROWS) * WINDOW_ROWS;
      return { binding: { buffer: buffer.x, offset: first * v4 * 4, size: (q.start + q.count - first) * v4 * 4 }, row: q.start - first };
    };
    /** a⁽²⁾ of the piece: a full evaluation keeps every example's row in place, a batch starts at row 0. */
    const a2View = (b: Batch, p: number): GPUBuffer | GPUBufferBinding => {
      if (!windowed) return buffer.a2;
      const q = piece(b, p);
      const at = pieces > 1 ? q.start : 0;
      return { buffer: buffer.a2, offset: at * h4 * 4, size: q.count * h4 * 4 };
    };
    const xOffset = (b: Batch, p: number) => (xView(b, p).row * v4) / 4;
    /** A column reduction's second level: this piece's share of the batch's column sums. */
    const column = (cols: number, ld: number, outOffset: number, p: number, mean: boolean) => (b: Batch) =>
      sumSlicesProgram({ rows: 1, cols, ld, sliceStride: ld, slices: chunkCount(piece(b, p).count), outOffset, scale: mean ? 1 / b.count : 1, accumulate: p > 0 });
    const weightGradient = (rows: number, cols: number, rowsPadded: number, colsPadded: number, offset: number, p: number) => (b: Batch) =>
      sumSlicesProgram({
        rows,
        cols,
        ld: colsPadded,
        sliceStride: rowsPadded * colsPadded,
        slices: Math.ceil(piece(b, p).count / splitK),
        outOffset: offset,
        wOffset: offset,
        scale: 1 / b.count,
        lambda: p === 0 ? hyperparameters().lambda : 0,
        accumulate: p > 0,
      });
    const steps: StepDefinition[] = [
      // Padded copies of W1ᵀblock (v × h) and W2ᵀblock (h × v).
      { make: () => padMatrixProgram({ rows: v, cols: h, outRows: v4, srcOffset: layout.W1 }), buffers: (t) => ({ src: t, dst: buffer.w1p }) },
      { make: () => padMatrixProgram({ rows: h, cols: v, outRows: h4, srcOffset: layout.W2 }), buffers: (t) => ({ src: t, dst: buffer.w2p }) },
    ];
    for (let p = 0; p < pieces; p++) {
      steps.push(
        // a⁽²⁾ = σ(X·W1ᵀ + b1)
        {
          make: (b) =>
            matmulProgram(
              { M: piece(b, p).count, N: h4, K: v4, transA: false, transB: false, aOffset: xOffset(b, p), biasSigmoid: true, biasOffset: layout.b1, nValid: h },
              variant,
              subgroupSize,
              tiling,
            ),
          buffers: (t, _g, b) => ({ a: xView(b, p).binding, b: buffer.w1p, c: a2View(b, p), bias: t }),
        },
        // ρ̂ = column means of a⁽²⁾
        { make: (b) => columnSumsProgram({ rows: piece(b, p).count, cols4: h4 / 4 }, lanes), buffers: (_t, _g, b) => ({ src: a2View(b, p), partials: buffer.columnPartials }) },
        { make: column(h, h4, 0, p, true), buffers: (t) => ({ partials: buffer.columnPartials, w: t, out: buffer.meanActivation }) },
      );
    }
    for (let p = 0; p < pieces; p++) {
      steps.push(
        // a⁽³⁾ = σ(a⁽²⁾·W2ᵀ + b2)
        {
          make: (b) =>
            matmulProgram({ M: piece(b, p).count, N: v4, K: h4, transA: false, transB: false, biasSigmoid: true, biasOffset: layout.b2, nValid: v }, variant, subgroupSize, tiling),
          buffers: (t, _g, b) => ({ a: a2View(b, p), b: buffer.w2p, c: buffer.a3, bias: t }),
        },
        // δ⁽³⁾ with Σ(a⁽³⁾ − x)² and Σδ⁽³⁾ partials; ∇b2; squared-error column totals.
        {
          make: (b) => outputDeltaProgram({ rows: piece(b, p).count, cols4: v4 / 4, xOffset: xOffset(b, p) }, lanes),
          buffers: (_t, _g, b) => ({ a3: buffer.a3, x: xView(b, p).binding, delta3: buffer.delta3, squaredError: buffer.squaredErrorPartials, deltaSum: buffer.columnPartials }),
        },
        { make: column(v, v4, layout.b2, p, true), buffers: (t, g) => ({ partials: buffer.columnPartials, w: t, out: g }) },
        { make: column(v, v4, 0, p, false), buffers: (t) => ({ partials: buffer.squaredErrorPartials, w: t, out: buffer.squaredErrorTotals }) },
        // δ⁽³⁾·W2 (NT against the padded W2ᵀblock)
        {
          make: (b) => matmulProgram({ M: piece(b, p).count, N: h4, K: v4, transA: false, transB: true }, variant, subgroupSize, tiling),
          buffers: (t) => ({ a: buffer.delta3, b: buffer.w2p, c: buffer.backprop, bias: t }),
        },
        // δ⁽²⁾ with Σδ⁽²⁾ partials; ∇b1.
        {
          make: (b) =>
            hiddenDeltaProgram({ rows: piece(b, p).count, hidden: h, sparsity: { sparsityParam: hyperparameters().sparsityParam, beta: hyperparameters().beta } }, lanes),
          buffers: (_t, _g, b) => ({ backprop: buffer.backprop, a2: a2View(b, p), meanActivation: buffer.meanActivation, delta2: buffer.delta2, deltaSum: buffer.columnPartials }),
        },
        { make: column(h, h4, layout.b1, p, true), buffers: (t, g) => ({ partials: buffer.columnPartials, w: t, out: g }) },
        // ∇W1ᵀblock = Xᵀδ⁽²⁾/m + λW1ᵀblock (split-K over the examples)
        {
          make: (b) => matmulProgram({ M: v4, N: h4, K: piece(b, p).count, transA: true, transB: false, aOffset: xOffset(b, p), kChunk: splitK }, variant, subgroupSize, tiling),
          buffers: (t, _g, b) => ({ a: xView(b, p).binding, b: buffer.delta2, c: buffer.splitPartials, bias: t }),
        },
        { make: weightGradient(v, h, v4, h4, layout.W1, p), buffers: (t, g) => ({ partials: buffer.splitPartials, w: t, out: g }) },
        // ∇W2ᵀblock = a⁽²⁾ᵀδ⁽³⁾/m + λW2ᵀblock
        {
          make: (b) => matmulProgram({ M: h4, N: v4, K: piece(b, p).count, transA: true, transB: false, kChunk: splitK }, variant, subgroupSize, tiling),
          buffers: (t, _g, b) => ({ a: a2View(b, p), b: buffer.delta3, c: buffer.splitPartials, bias: t }),
        },
        { make: weightGradient(h, v, h4, v4, layout.W2, p), buffers: (t, g) => ({ partials: buffer.splitPartials, w: t, out: g }) },
      );
    }
    steps.push(
      // ΣW1² + ΣW2² (the two blocks are contiguous in θ) and the cost.
      { make: () => sumSquaresProgram({ count: 2 * h * v, srcOffset: layout.W1 }), buffers: (t) => ({ src: t, partials: buffer.weightPartials }) },
      {
        make: (b) =>
          costProgram({
            squaredErrorCount: v,
            weightCount: sumSquaresPartialCount(2 * h * v),
            hidden: h,
            examples: b.count,
            sparsityParam: hyperparameters().sparsityParam,
            beta: hyperparameters().beta,
            lambda: hyperparameters().lambda,
          }),
        buffers: () => ({ squaredError: buffer.squaredErrorTotals, weightSquares: buffer.weightPartials, meanActivation: buffer.meanActivation, out: this.costBuffer }),
      },
    );
    return steps;
  }
}

/** A batch's window of X starts on a multiple of this many rows (a 256-byte binding offset for any v4 ≥ 4). */
const WINDOW_ROWS = 16;
