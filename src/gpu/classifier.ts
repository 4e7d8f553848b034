/**
 * softmaxCost / stackedAECost on the GPU: the steps of src/reference/classifier.ts, made of the
 * sparse autoencoder's kernel programs (pad, matmul with its bias + sigmoid epilogue, split-K
 * weight gradients, column reductions, the hidden delta without its sparsity term, the sum of
 * squares) plus the softmax output layer (shaders/softmax.wgsl) and its cost
 * (shaders/classifier_cost.wgsl). With no hidden layers it is softmax regression; with the
 * layers of trained autoencoders, the stacked network of fine-tuning.
 *
 * Matrices are row-major with column counts padded to multiples of 4 (n4 = n rounded up), as
 * in src/gpu/autoencoder.ts; θ and the gradient keep UFLDL's packing (classifierLayout).
 *
 *   Wₗp = pad(Wₗ block)                 Θp = pad(Θ block)
 *   a⁽ˡ⁾ = σ(a⁽ˡ⁻¹⁾·Wₗp + bₗ)            matmul NN + epilogue          l = 1 … L, a⁽⁰⁾ = X
 *   Z = a⁽ᴸ⁾·Θp                          matmul NN
 *   δ_out = P − Y, Σ −log p_y            softmax (per-workgroup partials)
 *   ∇Θ = a⁽ᴸ⁾ᵀδ_out/m + λΘ                matmul TN split-K → sum slices
 *   backprop = δ_out·Θpᵀ                 matmul NT
 *   for l = L … 1:
 *     δₗ = backprop ⊙ a⁽ˡ⁾(1 − a⁽ˡ⁾)      sigmoid delta (+ column partials) → sum slices (∇bₗ)
 *     ∇Wₗ = a⁽ˡ⁻¹⁾ᵀδₗ/m                   matmul TN split-K → sum slices
 *     backprop = δₗ·Wₗpᵀ  (l > 1)         matmul NT
 *   ΣΘ²                                  sum of squares
 *   [cost, crossEntropy, weightDecay]    classifier cost
 *
 * Data larger than one storage binding are evaluated in pieces (as in src/gpu/autoencoder.ts):
 * X and the logits stay whole and each piece binds its window; the per-example buffers hold one
 * piece, which runs forward and backward before the next; the weight and bias gradients add up
 * piece by piece (λΘ once), the cross-entropy partials of all pieces lie side by side.
 */
import {
  classifierLayout,
  type ClassifierLayout,
  type ClassifierParts,
  type ClassifierShape,
  type LabeledData,
} from '../reference/classifier';
import { chooseKernelConfig, type KernelConfig, type MatmulVariant } from './adapter';
import type { GpuContext } from './device';
import { formatBytes, ResourceLimitError, withErrorScopes } from './errors';
import {
  chunkCount,
  classifierCostProgram,
  sumSlicesProgram,
  hiddenDeltaProgram,
  matmulProgram,
  padMatrixProgram,
  roundUp4,
  SOFTMAX_WORKGROUP,
  softmaxPartialCount,
  softmaxProgram,
  sumSquaresPartialCount,
  sumSquaresProgram,
  type KernelProgram,
  type MatmulSpec,
} from './programs';
import { createStorageBuffer, readF32, readRows, Serial, writeVector } from './runtime';
import { checkBindingSizes, PIECE_ALIGNMENT, StepList, type Batch, type StepDefinition } from './steps';

export interface GpuClassifierEvaluation {
  cost: number;
  parts: ClassifierParts;
}

export interface GpuClassifierOptions {
  /** Initial θ (classifierLayout's packing); zeros when absent. */
  theta?: ArrayLike<number>;
  /** Forces the matmul variant (default: the adapter's). */
  matmulVariant?: MatmulVariant;
  /** A smaller storage-binding limit than the device's, to make pieces of small data (tests). */
  maxBindingBytes?: number;
}

/** The buffers of one hidden layer. */
interface LayerBuffers {
  /** Wₗ padded: n4(inputs) × n4(outputs). */
  weights: GPUBuffer;
  /** a⁽ˡ⁾: m × n4(outputs). */
  activations: GPUBuffer;
  /** δₗ: m × n4(outputs). */
  delta: GPUBuffer;
}

export class GpuClassifier {
  readonly shape: ClassifierShape;
  readonly examples: number;
  readonly layout: ClassifierLayout;
  readonly config: KernelConfig;
  /** Examples per piece of an evaluation (all of them when the data fit one binding), and the pieces. */
  readonly pieceRows: number;
  readonly pieces: number;
  readonly thetaBuffer: GPUBuffer;
  readonly gradBuffer: GPUBuffer;
  /** [cost, crossEntropy, weightDecay, 0], float32. */
  readonly costBuffer: GPUBuffer;

  private lambda: number;
  private steps!: StepList;
  private readonly owned: GPUBuffer[] = [];
  private readonly x: GPUBuffer;
  private readonly labels: GPUBuffer;
  private readonly layers: LayerBuffers[] = [];
  private readonly buffers: Record<'thetaPadded' | 'logits' | 'deltaOut' | 'backprop' | 'lossPartials' | 'columnPartials' | 'splitPartials' | 'weightPartials', GPUBuffer>;
  private readonly costStaging: GPUBuffer;
  private readonly serial = new Serial();
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    shape: ClassifierShape,
    lambda: number,
    data: LabeledData,
    options: GpuClassifierOptions,
  ) {
    this.layout = classifierLayout(shape);
    const { inputSize, hiddenSizes, numClasses: k } = shape;
    const m = data.examples;
    if (data.visibleSize !== inputSize) throw new RangeError(`data has ${data.visibleSize} values per example; the classifier expects ${inputSize}`);
    if (!(Number.isInteger(m) && m > 0)) throw new RangeError('the data set is empty');
    if (data.data.length !== m * inputSize) throw new RangeError(`data holds ${data.data.length} values, expected ${m} × ${inputSize}`);
    if (data.labels.length !== m) throw new RangeError(`${data.labels.length} labels for ${m} examples`);
    for (let r = 0; r < m; r++) {
      if (!(data.labels[r] < k)) throw new RangeError(`label ${r} is ${data.labels[r]}; classes are 0 … ${k - 1}`);
    }
    checkLambda(lambda);
    this.shape = { inputSize, hiddenSizes: [...hiddenSizes], numClasses: k };
    this.examples = m;
    this.lambda = lambda;
    this.config = chooseKernelConfig(ctx.adapterInfo, options.matmulVariant);

    const device = ctx.device;
    const sizes4 = [inputSize, ...hiddenSizes].map(roundUp4);
    const top4 = sizes4[sizes4.length - 1];
    const widest4 = Math.max(...sizes4.slice(1), 4);
    const k4 = roundUp4(k);
    const splitFloats = Math.max(top4 * k4, ...sizes4.slice(1).map((n4, l) => sizes4[l] * n4));
    // One piece, or pieces of a multiple of PIECE_ALIGNMENT rows that fit every binding.
    const maxBinding = Math.min(options.maxBindingBytes ?? Infinity, device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const rowBytes = Math.max(...sizes4, k4) * 4;
    const fits = m * rowBytes <= maxBinding && Math.ceil(m / this.config.splitK) * splitFloats * 4 <= maxBinding;
    const limit = Math.floor(Math.min(maxBinding / rowBytes, Math.floor(maxBinding / (splitFloats * 4)) * this.config.splitK) / PIECE_ALIGNMENT) * PIECE_ALIGNMENT;
    if (!fits && limit < PIECE_ALIGNMENT) {
      throw new ResourceLimitError(
        `${PIECE_ALIGNMENT} examples of a ${[inputSize, ...hiddenSizes, k].join('-')} classifier need more than one GPU binding can hold (${formatBytes(maxBinding)} on this adapter): use fewer hidden units, or --device cpu`,
      );
    }
    this.pieces = fits ? 1 : Math.ceil(m / limit);
    this.pieceRows = fits ? m : limit;
    const rows = this.pieceRows;
    const slices = Math.ceil(rows / this.config.splitK);
    checkBindingSizes(device, [[`θ (${this.layout.length} float32)`, this.layout.length * 4, 'fewer hidden units']]);
    if (m * sizes4[0] * 4 > device.limits.maxBufferSize) {
      throw new ResourceLimitError(`the data set (${m} × ${inputSize} float32) needs ${formatBytes(m * sizes4[0] * 4)} in one GPU buffer; this adapter's largest is ${formatBytes(device.limits.maxBufferSize)}: use fewer examples, or --device cpu`);
    }
    const own = (bytes: number, label: string): GPUBuffer => {
      const buffer = createStorageBuffer(device, bytes, label);
      this.owned.push(buffer);
      return buffer;
    };
    this.x = own(m * sizes4[0] * 4, 'X');
    this.labels = own(m * 4, 'labels');
    hiddenSizes.forEach((_, l) => {
      this.layers.push({
        weights: own(sizes4[l] * sizes4[l + 1] * 4, `W${l + 1} padded`),
        activations: own(rows * sizes4[l + 1] * 4, `a${l + 1}`),
        delta: own(rows * sizes4[l + 1] * 4, `delta${l + 1}`),
      });
    });
    this.buffers = {
      thetaPadded: own(top4 * k4 * 4, 'softmax theta padded'),
      logits: own(m * k4 * 4, 'Z'),
      deltaOut: own(rows * k4 * 4, 'P - Y'),
      backprop: own(rows * widest4 * 4, 'backprop'),
      lossPartials: own(softmaxPartialCount(m) * 4, 'cross-entropy partials'),
      columnPartials: own(chunkCount(rows) * widest4 * 4, 'column partials'),
      splitPartials: own(slices * splitFloats * 4, 'split-K partials'),
      weightPartials: own(sumSquaresPartialCount(this.layout.softmaxLength) * 4, 'softmax theta square partials'),
    };
    this.thetaBuffer = own(this.layout.length * 4, 'theta');
    this.gradBuffer = own(this.layout.length * 4, 'gradient');
    this.costBuffer = own(16, 'cost');
    this.costStaging = device.createBuffer({ label: 'cost read-back', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.owned.push(this.costStaging);

    const padded = new Float32Array(m * sizes4[0]);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < inputSize; c++) padded[r * sizes4[0] + c] = data.data[r * inputSize + c];
    }
    device.queue.writeBuffer(this.x, 0, padded);
    device.queue.writeBuffer(this.labels, 0, Uint32Array.from(data.labels));
    if (options.theta) this.writeTheta(options.theta);
  }

  static async create(ctx: GpuContext, shape: ClassifierShape, lambda: number, data: LabeledData, options: GpuClassifierOptions = {}): Promise<GpuClassifier> {
    ctx.assertAlive();
    let model: GpuClassifier | undefined;
    try {
      return await withErrorScopes(ctx.device, 'creating the GPU classifier', async () => {
        const created = new GpuClassifier(ctx, shape, lambda, data, options);
        model = created;
        const all = { start: 0, count: created.examples };
        created.steps = await StepList.build(ctx, created.stepDefinitions(), created.examples, all, created.layout.length * 4);

        created.steps.bindGroupsFor(all, created.thetaBuffer, created.gradBuffer);
        return created;
      });
    } catch (error) {
      model?.destroy();
      throw error;
    }
  }

  /** [cost, crossEntropy, weightDecay, 0] as costBuffer holds them, as an evaluation. */
  static costOf(values: ArrayLike<number>): GpuClassifierEvaluation {
    return { cost: values[0], parts: { crossEntropy: values[1], weightDecay: values[2] } };
  }

  setLambda(lambda: number): void {
    this.assertUsable();
    checkLambda(lambda);
    this.lambda = lambda;
    this.steps.refresh();
  }

  writeTheta(theta: ArrayLike<number>): void {
    this.assertUsable();
    writeVector(this.ctx.device, this.thetaBuffer, this.layout.length, theta, 'this classifier');
  }

  /** Records the forward and backward pass into `pass` (θ from `theta`, ∇J into `grad`, over `batch`). */
  encodeEvaluation(
    pass: GPUComputePassEncoder,
    theta: GPUBuffer = this.thetaBuffer,
    grad: GPUBuffer = this.gradBuffer,
    batch: Batch = { start: 0, count: this.examples },
  ): void {
    this.assertUsable();
    if (this.pieces > 1 && !(batch.start === 0 && batch.count === this.examples)) {
      throw new RangeError(`this data set is evaluated in ${this.pieces} pieces: only all ${this.examples} examples at once`);
    }
    this.steps.encode(pass, theta, grad, batch);
  }

  /** One submission and a read-back of the cost. */
  evaluate(): Promise<GpuClassifierEvaluation> {
    return this.serialize(async () => {
      this.assertUsable();
      const device = this.ctx.device;
      await withErrorScopes(device, 'evaluating the classifier', () => {
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass({ label: 'classifier cost and gradient' });
        this.encodeEvaluation(pass);
        pass.end();
        encoder.copyBufferToBuffer(this.costBuffer, 0, this.costStaging, 0, 16);
        device.queue.submit([encoder.finish()]);
      });
      await this.costStaging.mapAsync(GPUMapMode.READ);
      const values = new Float32Array(this.costStaging.getMappedRange().slice(0));
      this.costStaging.unmap();
      return GpuClassifier.costOf(values);
    });
  }

  readGradient(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.gradBuffer, 0, this.layout.length));
  }

  readTheta(): Promise<Float32Array> {
    return this.serialize(() => readF32(this.ctx, this.thetaBuffer, 0, this.layout.length));
  }

  /**
   * The last evaluation's P − Y, activations of each hidden layer and deltas, unpadded (tests).
   * An evaluation in pieces keeps only its last piece of them: not readable.
   */
  readIntermediates(): Promise<{ deltaOut: Float32Array; activations: Float32Array[]; deltas: Float32Array[] }> {
    return this.serialize(async () => {
      const m = this.examples;
      if (this.pieces > 1) throw new RangeError(`the intermediates of ${m} examples evaluated in ${this.pieces} pieces are not kept`);
      const sizes = this.shape.hiddenSizes;
      return {
        deltaOut: await readRows(this.ctx, this.buffers.deltaOut, m, this.shape.numClasses),
        activations: await Promise.all(this.layers.map((layer, l) => readRows(this.ctx, layer.activations, m, sizes[l]))),
        deltas: await Promise.all(this.layers.map((layer, l) => readRows(this.ctx, layer.delta, m, sizes[l]))),
      };
    });
  }

  /**
   * The class of every example under θ (argmax of the logits, the first on ties): one
   * evaluation and one read-back of the m × numClasses logits.
   */
  async predict(theta: ArrayLike<number>): Promise<Uint8Array> {
    this.writeTheta(theta);
    await this.evaluate();
    const k = this.shape.numClasses;
    const k4 = roundUp4(k);
    const logits = await this.serialize(() => readF32(this.ctx, this.buffers.logits, 0, this.examples * k4));
    const predicted = new Uint8Array(this.examples);
    for (let r = 0; r < this.examples; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[r * k4 + c] > logits[r * k4 + best]) best = c;
      predicted[r] = best;
    }
    return predicted;
  }

  /** The programs of one evaluation in order (names, dispatch sizes, chain lengths). */
  get programs(): readonly KernelProgram[] {
    return this.steps.programsFor({ start: 0, count: this.examples }).programs;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const buffer of this.owned) buffer.destroy();
    this.steps?.destroy();
  }

  // -------------------------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.destroyed) throw new Error('this GpuClassifier has been destroyed');
    this.ctx.assertAlive();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  /** The step list; see the header. */
  private stepDefinitions(): StepDefinition[] {
    const { inputSize, hiddenSizes, numClasses: k } = this.shape;
    const sizes = [inputSize, ...hiddenSizes];
    const sizes4 = sizes.map(roundUp4);
    // The number of sigmoid layers: sizes[depth] is the top one, below the softmax.
    const depth = hiddenSizes.length;
    const k4 = roundUp4(k);
    const layout = this.layout;
    const buffer = this.buffers;
    const { matmul: variant, subgroupSize, tiling, splitK, laneGroup } = this.config;
    const mm = (spec: MatmulSpec) => matmulProgram(spec, variant, subgroupSize, tiling);
    const pieces = this.pieces;
    const R = this.pieceRows;
    /** Piece p of batch b (the batch itself in one piece). */
    const piece = (b: Batch, p: number): Batch => (pieces === 1 ? b : { start: b.start + p * R, count: Math.min(R, b.count - p * R) });
    /** A window of a whole buffer of `cols4` floats a row, over the piece's rows. */
    const window = (whole: GPUBuffer, cols4: number) => (b: Batch, p: number): GPUBuffer | GPUBufferBinding => {
      if (pieces === 1) return whole;
      const q = piece(b, p);
      return { buffer: whole, offset: q.start * cols4 * 4, size: q.count * cols4 * 4 };
    };
    const xView = window(this.x, sizes4[0]);
    const logitsView = window(buffer.logits, k4);
    /** a⁽ˡ⁾ of the piece (a⁽⁰⁾ = X) and the vec4 offset of its first row there. */
    const activations = (l: number, b: Batch, p: number) => (l === 0 ? xView(b, p) : this.layers[l - 1].activations);
    const rowOffset = (l: number, b: Batch) => (l === 0 && pieces === 1 ? (b.start * sizes4[0]) / 4 : 0);
    const weightGradient = (rows: number, cols: number, rows4: number, cols4: number, offset: number, lambda: () => number, p: number) => (b: Batch) =>
      sumSlicesProgram({
        rows,
        cols,
        ld: cols4,
        sliceStride: rows4 * cols4,
        slices: Math.ceil(piece(b, p).count / splitK),
        outOffset: offset,
        wOffset: offset,
        scale: 1 / b.count,
        lambda: p === 0 ? lambda() : 0,
        accumulate: p > 0,
      });
    const steps: StepDefinition[] = [];

    // The padded weights, once.
    for (let l = 1; l <= depth; l++) {
      const layer = this.layers[l - 1];
      steps.push({ make: () => padMatrixProgram({ rows: sizes[l - 1], cols: sizes[l], outRows: sizes4[l - 1], srcOffset: layout.layers[l - 1].W }), buffers: (t) => ({ src: t, dst: layer.weights }) });
    }
    steps.push({ make: () => padMatrixProgram({ rows: sizes[depth], cols: k, outRows: sizes4[depth], srcOffset: layout.softmax }), buffers: (t) => ({ src: t, dst: buffer.thetaPadded }) });

    for (let p = 0; p < pieces; p++) {
      // Forward: the sigmoid layers, then the logits and the softmax.
      for (let l = 1; l <= depth; l++) {
        const layer = this.layers[l - 1];
        steps.push({
          make: (b) =>
            mm({ M: piece(b, p).count, N: sizes4[l], K: sizes4[l - 1], transA: false, transB: false, aOffset: rowOffset(l - 1, b), biasSigmoid: true, biasOffset: layout.layers[l - 1].b, nValid: sizes[l] }),
          buffers: (t, _g, b) => ({ a: activations(l - 1, b, p), b: layer.weights, c: layer.activations, bias: t }),
        });
      }
      steps.push(
        {
          make: (b) => mm({ M: piece(b, p).count, N: k4, K: sizes4[depth], transA: false, transB: false, aOffset: rowOffset(depth, b) }),
          buffers: (t, _g, b) => ({ a: activations(depth, b, p), b: buffer.thetaPadded, c: logitsView(b, p), bias: t }),
        },
        {
          // Each piece's cross-entropy partials go beside the previous pieces'.
          make: (b) => softmaxProgram({ rows: piece(b, p).count, classes: k, labelOffset: piece(b, p).start, partialOffset: (p * R) / SOFTMAX_WORKGROUP }),
          buffers: (_t, _g, b) => ({ z: logitsView(b, p), labels: this.labels, deltaOut: buffer.deltaOut, partials: buffer.lossPartials }),
        },
      );

      // Backward: ∇Θ, then down through the layers.
      steps.push(
        {
          make: (b) => mm({ M: sizes4[depth], N: k4, K: piece(b, p).count, transA: true, transB: false, aOffset: rowOffset(depth, b), kChunk: splitK }),
          buffers: (t, _g, b) => ({ a: activations(depth, b, p), b: buffer.deltaOut, c: buffer.splitPartials, bias: t }),
        },
        { make: weightGradient(sizes[depth], k, sizes4[depth], k4, layout.softmax, () => this.lambda, p), buffers: (t, g) => ({ partials: buffer.splitPartials, w: t, out: g }) },
      );
      for (let l = depth; l >= 1; l--) {
        const { W, b: bias } = layout.layers[l - 1];
        const layer = this.layers[l - 1];
        const above = l === depth ? { delta: buffer.deltaOut, weights: buffer.thetaPadded, width4: k4 } : { delta: this.layers[l].delta, weights: this.layers[l].weights, width4: sizes4[l + 1] };
        steps.push(
          {
            make: (b) => mm({ M: piece(b, p).count, N: sizes4[l], K: above.width4, transA: false, transB: true }),
            buffers: (t) => ({ a: above.delta, b: above.weights, c: buffer.backprop, bias: t }),
          },
          {
            make: (b) => hiddenDeltaProgram({ rows: piece(b, p).count, hidden: sizes[l], sparsity: null }, laneGroup),
            // The third binding (ρ̂) is not read without a sparsity term.
            buffers: () => ({ backprop: buffer.backprop, a2: layer.activations, meanActivation: buffer.lossPartials, delta2: layer.delta, deltaSum: buffer.columnPartials }),
          },
          {
            make: (b) =>
              sumSlicesProgram({ rows: 1, cols: sizes[l], ld: sizes4[l], sliceStride: sizes4[l], slices: chunkCount(piece(b, p).count), outOffset: bias, scale: 1 / b.count, accumulate: p > 0 }),
            buffers: (t, g) => ({ partials: buffer.columnPartials, w: t, out: g }),
          },
          {
            make: (b) => mm({ M: sizes4[l - 1], N: sizes4[l], K: piece(b, p).count, transA: true, transB: false, aOffset: rowOffset(l - 1, b), kChunk: splitK }),
            buffers: (t, _g, b) => ({ a: activations(l - 1, b, p), b: layer.delta, c: buffer.splitPartials, bias: t }),
          },
          { make: weightGradient(sizes[l - 1], sizes[l], sizes4[l - 1], sizes4[l], W, () => 0, p), buffers: (t, g) => ({ partials: buffer.splitPartials, w: t, out: g }) },
        );
      }
    }

    // The cost.
    steps.push(
      { make: () => sumSquaresProgram({ count: layout.softmaxLength, srcOffset: layout.softmax }), buffers: (t) => ({ src: t, partials: buffer.weightPartials }) },
      {
        make: (b) =>
          classifierCostProgram({
            lossCount: softmaxPartialCount(b.count),
            weightCount: sumSquaresPartialCount(layout.softmaxLength),
            examples: b.count,
            lambda: this.lambda,
          }),
        buffers: () => ({ losses: buffer.lossPartials, weightSquares: buffer.weightPartials, out: this.costBuffer }),
      },
    );
    return steps;
  }
}

function checkLambda(lambda: number): void {
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new RangeError(`λ must be ≥ 0, got ${lambda}`);
}
