/**
 * The GPU model layer: what every network's GPU side shares, written once. A network
 * (./autoencoder.ts, ./classifier.ts) declares its buffers and wires its evaluation as a list of
 * layer steps (./layers.ts); this base owns everything else:
 *
 * - the data upload, each example's row padded to a multiple of 4 floats;
 * - the one piece planner: data larger than one storage binding (128 MiB on lavapipe; 60,000
 *   MNIST digits are 188 MB) are evaluated in pieces of `pieceRows` examples, each binding its
 *   window of the data;
 * - θ, the gradient and the cost ([cost, part, part, part], float32), the buffers it creates (all
 *   destroyed together), creation under error scopes;
 * - two step lists when the data come in pieces: the full data set piece by piece, and one piece
 *   for mini-batches (a batch of at most one piece, anywhere in the set);
 * - every read-back, through mapForReading, so a lost device is reported as DeviceLostError.
 *
 * A new network goes beside the two: a subclass that makes its buffers in its constructor and
 * returns its step definitions from `stepDefinitions(geometry)`.
 */
import type { KernelConfig, MatmulVariant } from './adapter';
import { kernelConfigFor, type GpuContext } from './device';
import { formatBytes, ResourceLimitError, withErrorScopes, type Remedy } from './errors';
import { hasFusedEpilogues, type KernelProgram } from './programs';
import { ReadBackPacer } from './pacer';
import { createStorageBuffer, mapForReading, readF32, readRows, Serial, writeVector } from './runtime';
import { checkBatch, checkBindingSizes, PIECE_ALIGNMENT, StepList, type Batch, type StepDefinition } from './steps';

/** A batch's window of the data starts on a multiple of this many rows (a 256-byte binding offset for any row of ≥ 4 floats). */
export const WINDOW_ROWS = 16;

export interface GpuModelOptions {
  /** Forces the matmul variant for this model (default: the context's tuned kernels, else chooseKernelConfig's for the adapter). */
  matmulVariant?: MatmulVariant;
  /** A smaller storage-binding limit than the device's, to make pieces of small data (tests). */
  maxBindingBytes?: number;
  /**
   * Fuse the steps after a product into its epilogue where the matmul variant can (./layers.ts;
   * default true). false: every step its own dispatch (the baseline of bench/tune/evaluate-timing.ts).
   */
  fused?: boolean;
}

/** What the piece planner needs to know of a network's per-example and per-slice buffers. */
export interface PieceNeeds {
  /** The widest padded row any per-example buffer holds (data, activations, deltas), in floats. */
  rowFloats: number;
  /** The largest padded weight matrix, in floats: one split-K slice of its gradient. */
  sliceFloats: number;
  /** The network as a user names it in a refusal ("a 64-25 model"). */
  describe: string;
  /** Buffers bound whole, each of which must fit one binding: [what, bytes, what to use instead]. */
  bindings?: ReadonlyArray<readonly [what: string, bytes: number, instead: readonly Remedy[]]>;
  /** Buffers of every example (bound in windows when in pieces), each within maxBufferSize: [what, bytes]. */
  wholeBuffers?: ReadonlyArray<readonly [what: string, bytes: number]>;
}

export interface PiecePlan {
  pieces: number;
  pieceRows: number;
}

/**
 * The one piece planner. A piece binds at most `rowFloats` floats a row for each of its
 * examples, and one `sliceFloats` slice of a weight gradient per `splitK` examples; each binding
 * must fit `maxBinding` bytes. Pieces hold a multiple of PIECE_ALIGNMENT examples (whole split-K
 * slices and reduction chunks, aligned binding offsets); the data in one piece when they fit.
 */
export function planPieces(examples: number, needs: PieceNeeds, splitK: number, maxBinding: number): PiecePlan {
  const { rowFloats, sliceFloats } = needs;
  if (examples * rowFloats * 4 <= maxBinding && Math.ceil(examples / splitK) * sliceFloats * 4 <= maxBinding) {
    return { pieces: 1, pieceRows: examples };
  }
  const byRows = Math.floor(maxBinding / (rowFloats * 4));
  const bySlices = Math.floor(maxBinding / (sliceFloats * 4)) * splitK;
  const pieceRows = Math.floor(Math.min(byRows, bySlices) / PIECE_ALIGNMENT) * PIECE_ALIGNMENT;
  if (pieceRows < PIECE_ALIGNMENT) {
    const bytes = Math.max(PIECE_ALIGNMENT * rowFloats * 4, sliceFloats * 4);
    throw new ResourceLimitError(
      `a piece of ${PIECE_ALIGNMENT} examples of ${needs.describe} needs ${formatBytes(bytes)} in one GPU buffer; this adapter's largest is ${formatBytes(maxBinding)}`,
      ['hidden', 'inputs', 'cpu'],
    );
  }
  return { pieces: Math.ceil(examples / pieceRows), pieceRows };
}

/**
 * Whether a network of these needs fits the device, asked without creating anything: what a
 * model's constructor checks first, and what a run asks of each of its models before any starts.
 * Says which buffer does not fit; otherwise returns the pieces the data will be evaluated in.
 */
export function checkModelFits(ctx: GpuContext, examples: number, needs: PieceNeeds, options: GpuModelOptions = {}): PiecePlan {
  const limits = ctx.device.limits;
  checkBindingSizes(ctx.device, needs.bindings ?? []);
  for (const [what, bytes] of needs.wholeBuffers ?? []) {
    if (bytes > limits.maxBufferSize) {
      throw new ResourceLimitError(`${what} needs ${formatBytes(bytes)} in one GPU buffer; this adapter's largest is ${formatBytes(limits.maxBufferSize)}`, ['examples', 'cpu']);
    }
  }
  const maxBinding = Math.min(options.maxBindingBytes ?? Infinity, limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  return planPieces(examples, needs, kernelConfigFor(ctx, options.matmulVariant).splitK, maxBinding);
}

/** A whole buffer or a window of one, to bind. */
export type Binding = GPUBuffer | GPUBufferBinding;

/**
 * How one step list walks the data: in `pieces` pieces of `pieceRows` examples (the full data
 * set of a pieced model), or in one (every batch of a model whose data fit one binding, and the
 * mini-batches of a pieced one). Its views say which rows of a buffer a step binds.
 */
export class PieceGeometry {
  constructor(
    /** Pieces this list evaluates. */
    readonly pieces: number,
    readonly pieceRows: number,
    /** The model's data come in pieces: buffers of every example are bound in windows. */
    readonly windowed: boolean,
  ) {}

  /** Piece p of batch b (the batch itself when the list has one piece). */
  piece(b: Batch, p: number): Batch {
    if (this.pieces === 1) return b;
    const start = b.start + p * this.pieceRows;
    return { start, count: Math.min(this.pieceRows, b.count - p * this.pieceRows) };
  }

  /**
   * A buffer of every example's data (`cols4` floats a row): the binding and the row at which
   * the piece starts in it. Unwindowed, the whole buffer; windowed, a window from the aligned
   * row at or before the piece's first.
   */
  dataRows(buffer: GPUBuffer, cols4: number): (b: Batch, p: number) => { binding: Binding; row: number } {
    return (b, p) => {
      const q = this.piece(b, p);
      if (!this.windowed) return { binding: buffer, row: q.start };
      const first = Math.floor(q.start / WINDOW_ROWS) * WINDOW_ROWS;
      return { binding: { buffer, offset: first * cols4 * 4, size: (q.start + q.count - first) * cols4 * 4 }, row: q.start - first };
    };
  }

  /**
   * A buffer of results with a row for every example (a⁽²⁾ of an autoencoder, a classifier's
   * logits): a full evaluation in pieces keeps each piece's rows in place; a batch writes its
   * rows from row 0.
   */
  resultRows(buffer: GPUBuffer, cols4: number): (b: Batch, p: number) => Binding {
    return (b, p) => {
      if (!this.windowed) return buffer;
      const q = this.piece(b, p);
      const at = this.pieces > 1 ? q.start : 0;
      return { buffer, offset: at * cols4 * 4, size: q.count * cols4 * 4 };
    };
  }
}

/**
 * The base of every GPU network. `costParts` names the three numbers after the cost in
 * costBuffer; subclasses decode them (costOf).
 */
export abstract class GpuModel {
  readonly examples: number;
  readonly config: KernelConfig;
  /** The evaluation's steps are fused (the option, and a matmul variant with fused epilogues). */
  readonly fused: boolean;
  /** Examples per piece of a full evaluation (all of them when the data fit one binding). */
  readonly pieceRows: number;
  /** Pieces of a full evaluation: 1 when the data fit one binding. */
  readonly pieces: number;
  /** θ in the network's packing, float32. */
  readonly thetaBuffer: GPUBuffer;
  /** ∇J(θ) in θ's packing, float32: written by every evaluation. */
  readonly gradBuffer: GPUBuffer;
  /** [cost and its three parts], float32. */
  readonly costBuffer: GPUBuffer;

  private currentBatch: Batch;
  /** Every batch when the data fit one binding; with pieces, the mini-batches. */
  private steps?: StepList;
  /** With pieces: the full data set's evaluation, piece by piece. */
  private fullSteps?: StepList;
  private readonly owned: GPUBuffer[] = [];
  private readonly staging: GPUBuffer;
  /** Evaluations wait for the same work each time: their read-backs are paced (./pacer.ts). */
  private readonly pacer: ReadBackPacer;
  private readonly serial = new Serial();
  private destroyed = false;

  protected constructor(
    protected readonly ctx: GpuContext,
    /** What this is, in messages ("this autoencoder"). */
    private readonly what: string,
    examples: number,
    readonly thetaLength: number,
    needs: PieceNeeds,
    options: GpuModelOptions & { readbackFloats?: number },
  ) {
    if (!(Number.isInteger(examples) && examples > 0)) throw new RangeError('the data set is empty');
    this.examples = examples;
    this.currentBatch = { start: 0, count: examples };
    this.config = kernelConfigFor(ctx, options.matmulVariant);
    this.fused = options.fused !== false && hasFusedEpilogues(this.config.matmul);
    ({ pieces: this.pieces, pieceRows: this.pieceRows } = checkModelFits(ctx, examples, needs, options));
    this.thetaBuffer = this.own(thetaLength * 4, 'theta');
    this.gradBuffer = this.own(thetaLength * 4, 'gradient');
    this.costBuffer = this.own(16, 'cost');
    // The cost and whatever an evaluation reads back with it, in one mapping.
    this.pacer = new ReadBackPacer(ctx.pollsWhileWaiting ?? false);
    this.staging = ctx.device.createBuffer({
      label: 'evaluation read-back',
      size: 16 + Math.ceil((options.readbackFloats ?? 0) / 4) * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.owned.push(this.staging);
  }

  /**
   * Runs `construct` and compiles the model's step lists under error scopes; a model that fails
   * half-made destroys what it made.
   */
  protected static async build<M extends GpuModel>(ctx: GpuContext, what: string, construct: () => M, batch?: Batch): Promise<M> {
    ctx.assertAlive();
    let model: M | undefined;
    try {
      return await withErrorScopes(ctx.device, `creating ${what}`, async () => {
        model = construct();
        await model.compile(batch);
        return model;
      });
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
    const checked = checkBatch(batch, this.examples);
    this.stepsFor(checked).programsFor(checked);
    this.currentBatch = checked;
  }

  writeTheta(theta: ArrayLike<number>): void {
    this.assertUsable();
    writeVector(this.ctx.device, this.thetaBuffer, this.thetaLength, theta, this.what);
  }

  /**
   * Records the whole forward and backward pass into `pass`, reading θ from `thetaBuffer` and
   * writing ∇J into `gradBuffer` (default: this model's own), and the cost into costBuffer, over
   * `batch` (default: the current one). An optimizer records its own dispatches before and after
   * in the same pass, and several evaluations (of different batches, too) may share one pass.
   */
  encodeEvaluation(pass: GPUComputePassEncoder, thetaBuffer: GPUBuffer = this.thetaBuffer, gradBuffer: GPUBuffer = this.gradBuffer, batch: Batch = this.currentBatch): void {
    this.assertUsable();
    this.stepsFor(batch).encode(pass, thetaBuffer, gradBuffer, batch);
  }

  /**
   * The evaluation of the current batch as separately recordable steps, for a per-kernel profile
   * (src/gpu/profile.ts): their programs, and a recorder of step i into a pass of its own.
   */
  profiledSteps(): { programs: readonly KernelProgram[]; encode: (pass: GPUComputePassEncoder, i: number) => void } {
    this.assertUsable();
    const batch = this.currentBatch;
    const steps = this.stepsFor(batch);
    return { programs: steps.programsFor(batch).programs, encode: (pass, i) => steps.encodeOne(pass, i, this.thetaBuffer, this.gradBuffer, batch) };
  }

  readGradient(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.gradBuffer, 0, this.thetaLength));
  }

  readTheta(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.thetaBuffer, 0, this.thetaLength));
  }

  /** The cost and its parts as the last evaluation left them. */
  readCost(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.costBuffer, 0, 4));
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
  // For the networks.

  /** The step list of an evaluation over the pieces that `geometry` walks; see ./layers.ts. */
  protected abstract stepDefinitions(geometry: PieceGeometry): StepDefinition[];

  /** A storage buffer this model owns (destroyed with it). */
  protected own(bytes: number, label: string): GPUBuffer {
    const buffer = createStorageBuffer(this.ctx.device, bytes, label);
    this.owned.push(buffer);
    return buffer;
  }

  /** Uploads `rows` rows of `cols` values into a buffer of rows padded to a multiple of 4. */
  protected uploadRows(buffer: GPUBuffer, values: ArrayLike<number>, rows: number, cols: number): void {
    const cols4 = Math.ceil(cols / 4) * 4;
    const padded = new Float32Array(rows * cols4);
    if (cols4 === cols) padded.set(values);
    else for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) padded[r * cols4 + c] = values[r * cols + c];
    this.ctx.device.queue.writeBuffer(buffer, 0, padded);
  }

  /**
   * One submission of an evaluation of the current batch, and one read-back: the four cost
   * numbers and the first `count` floats of each of `extra`.
   */
  protected evaluateAndRead(label: string, extra: ReadonlyArray<{ buffer: GPUBuffer; count: number }> = []): Promise<{ cost: Float32Array; extra: Float32Array[] }> {
    return this.serialize(async () => {
      this.assertUsable();
      const device = this.ctx.device;
      const offsets: number[] = [];
      await withErrorScopes(device, `evaluating ${this.what}`, () => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass({ label });
        this.encodeEvaluation(pass);
        pass.end();
        encoder.copyBufferToBuffer(this.costBuffer, 0, this.staging, 0, 16);
        let at = 16;
        for (const { buffer, count } of extra) {
          const bytes = Math.ceil(count / 4) * 16;
          encoder.copyBufferToBuffer(buffer, 0, this.staging, at, bytes);
          offsets.push(at);
          at += bytes;
        }
        device.queue.submit([encoder.finish()]);
      });
      await this.pacer.wait(() => mapForReading(this.ctx, this.staging));
      const mapped = this.staging.getMappedRange();
      const result = {
        cost: new Float32Array(mapped.slice(0, 16)),
        extra: extra.map(({ count }, i) => new Float32Array(mapped.slice(offsets[i], offsets[i] + count * 4))),
      };
      this.staging.unmap();
      return result;
    });
  }

  /** The first `rows` rows of a buffer of `cols` columns padded to a multiple of 4, without the padding. */
  protected readRowsOf(buffer: GPUBuffer, rows: number, cols: number): Promise<Float32Array> {
    return this.serialize(() => readRows(this.ctx, buffer, rows, cols));
  }

  /** Intermediates of the last evaluation are kept for one piece only: refuses a batch of more. */
  protected checkIntermediatesKept(): number {
    const m = this.currentBatch.count;
    if (m > this.pieceRows) throw new RangeError(`the intermediates of ${m} examples evaluated in pieces of ${this.pieceRows} are not kept`);
    return m;
  }

  /** Remakes every batch's programs after a change of settings (uniforms only; nothing recompiles). */
  protected refreshPrograms(): void {
    this.assertUsable();
    this.steps?.refresh();
    this.fullSteps?.refresh();
  }

  protected serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  protected assertUsable(): void {
    if (this.destroyed) throw new Error(`${this.what} has been destroyed`);
    this.ctx.assertAlive();
  }

  // -------------------------------------------------------------------------------------------

  private async compile(batch: Batch = this.currentBatch): Promise<void> {
    const bytes = this.thetaLength * 4;
    const all = { start: 0, count: this.examples };
    const windowed = this.pieces > 1;
    if (windowed) {
      this.fullSteps = await StepList.build(this.ctx, this.stepDefinitions(new PieceGeometry(this.pieces, this.pieceRows, true)), this.examples, all, bytes);
      this.fullSteps.bindGroupsFor(all, this.thetaBuffer, this.gradBuffer);
    }
    const first = windowed ? { start: 0, count: this.maxBatch } : batch;
    this.steps = await StepList.build(this.ctx, this.stepDefinitions(new PieceGeometry(1, this.pieceRows, windowed)), this.examples, first, bytes);
    this.currentBatch = checkBatch(batch, this.examples);
    this.stepsFor(this.currentBatch).bindGroupsFor(this.currentBatch, this.thetaBuffer, this.gradBuffer);
  }

  /** The largest mini-batch when the data come in pieces: one piece less its window's alignment. */
  private get maxBatch(): number {
    return this.pieceRows - WINDOW_ROWS;
  }

  /** The full data set in pieces, or the one-piece list (every batch when the data fit one binding). */
  private stepsFor(batch: Batch): StepList {
    if (this.pieces === 1) return this.steps!;
    if (batch.start === 0 && batch.count === this.examples) return this.fullSteps!;
    if (batch.count > this.maxBatch) {
      throw new RangeError(`a batch of ${batch.count} examples is more than one piece of this data set holds (${this.maxBatch}); evaluate all ${this.examples} or at most ${this.maxBatch}`);
    }
    return this.steps!;
  }
}
