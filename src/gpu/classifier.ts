/**
 * softmaxCost / stackedAECost on the GPU: the steps of src/reference/classifier.ts as layers of
 * the model layer (./model.ts, ./layers.ts). With no hidden layers it is softmax regression; with
 * the layers of trained autoencoders, the stacked network of fine-tuning.
 *
 *   Wₗp = pad(Wₗ block)   Θp = pad(Θ block)
 *   a⁽ˡ⁾ = σ(a⁽ˡ⁻¹⁾·Wₗp + bₗ)          denseForward (sigmoid)      l = 1 … L, a⁽⁰⁾ = X
 *   Z = a⁽ᴸ⁾·Θp                        denseForward (no bias)
 *   δ_out = P − Y, Σ −log p_y          softmaxDelta
 *   ∇Θ = a⁽ᴸ⁾ᵀδ_out/m + λΘ, δ_out·Θpᵀ   denseBackward
 *   for l = L … 1:
 *     δₗ = backprop ⊙ a⁽ˡ⁾(1 − a⁽ˡ⁾), ∇bₗ      hiddenDelta (no sparsity)
 *     ∇Wₗ = a⁽ˡ⁻¹⁾ᵀδₗ/m, δₗ·Wₗpᵀ (l > 1)       denseBackward
 *   [cost, crossEntropy, weightDecay]  softmaxCost
 *
 * Fused (a matmul variant with fused epilogues, ./layers.ts), each δₗ is made in the epilogue of
 * the product δ_above·W_abovepᵀ with its ∇bₗ partials (backpropDelta, the autoencoder's δ⁽²⁾
 * step without the sparsity term): one dispatch fewer per hidden layer.
 *
 * θ and the gradient keep UFLDL's packing (classifierLayout). With data in pieces, X and the
 * logits stay whole and each piece runs forward and backward before the next; the cross-entropy
 * partials of all pieces lie side by side.
 */
import { classifierLayout, validateLabeledData, type ClassifierLayout, type ClassifierParts, type ClassifierShape, type LabeledData } from '../reference/classifier';
import type { GpuContext } from './device';
import { backpropDelta, denseBackward, denseForward, fromRow0, hiddenDelta, padWeights, softmaxCost, softmaxDelta, whole, type LayerKit, type RowsOf } from './layers';
import { checkModelFits, GpuModel, type GpuModelOptions, type PieceGeometry, type PieceNeeds } from './model';
import { chunkCount, fusedMatmulProgram, roundUp4, softmaxPartialCount, sumSquaresPartialCount } from './programs';
import type { StepDefinition } from './steps';

export interface GpuClassifierEvaluation {
  cost: number;
  parts: ClassifierParts;
}

export interface GpuClassifierOptions extends GpuModelOptions {
  /** Initial θ (classifierLayout's packing); zeros when absent. */
  theta?: ArrayLike<number>;
}

/** The buffers of one hidden layer. */
interface LayerBuffers {
  /** Wₗ padded: n4(inputs) × n4(outputs). */
  weights: GPUBuffer;
  /** a⁽ˡ⁾ and δₗ of one piece: rows × n4(outputs). */
  activations: GPUBuffer;
  delta: GPUBuffer;
}

/** What a classifier of this shape over `m` examples asks of the device's buffers. */
function classifierNeeds({ inputSize, hiddenSizes, numClasses: k }: ClassifierShape, m: number): PieceNeeds {
  const thetaLength = classifierLayout({ inputSize, hiddenSizes, numClasses: k }).length;
  const sizes4 = [inputSize, ...hiddenSizes].map(roundUp4);
  const [k4, top4] = [roundUp4(k), sizes4[sizes4.length - 1]];
  return {
    rowFloats: Math.max(...sizes4, k4),
    // The largest padded weight matrix: one split-K slice of its gradient.
    sliceFloats: Math.max(top4 * k4, ...sizes4.slice(1).map((n4, l) => sizes4[l] * n4)),
    describe: `a ${[inputSize, ...hiddenSizes, k].join('-')} classifier`,
    bindings: [[`θ (${thetaLength} float32)`, thetaLength * 4, ['hidden']]],
    wholeBuffers: [[`the data set (${m} × ${inputSize} float32)`, m * sizes4[0] * 4]],
  };
}

export class GpuClassifier extends GpuModel {
  readonly shape: ClassifierShape;
  readonly layout: ClassifierLayout;
  private lambda: number;
  private readonly layers: LayerBuffers[] = [];
  private readonly buffers: Record<'x' | 'labels' | 'thetaPadded' | 'logits' | 'deltaOut' | 'backprop' | 'lossPartials' | 'columnPartials' | 'splitPartials' | 'weightPartials', GPUBuffer>;
  /** The fused steps' scratch (LayerKit.fused), when fused and there is a hidden layer. */
  private readonly fusedScratch?: LayerKit['fused'];

  private constructor(ctx: GpuContext, shape: ClassifierShape, lambda: number, data: LabeledData, options: GpuClassifierOptions) {
    const layout = classifierLayout(shape);
    const { inputSize, hiddenSizes, numClasses: k } = shape;
    const m = data.examples;
    validateLabeledData(data, shape);
    checkLambda(lambda);
    const sizes4 = [inputSize, ...hiddenSizes].map(roundUp4);
    const k4 = roundUp4(k);
    const needs = classifierNeeds(shape, m);
    super(ctx, 'this classifier', m, layout.length, needs, options);
    this.shape = { inputSize, hiddenSizes: [...hiddenSizes], numClasses: k };
    this.layout = layout;
    this.lambda = lambda;
    const rows = this.pieceRows;
    const widest4 = Math.max(...sizes4.slice(1), 4);
    hiddenSizes.forEach((_, l) => {
      this.layers.push({
        weights: this.own(sizes4[l] * sizes4[l + 1] * 4, `W${l + 1} padded`),
        activations: this.own(rows * sizes4[l + 1] * 4, `a${l + 1}`),
        delta: this.own(rows * sizes4[l + 1] * 4, `delta${l + 1}`),
      });
    });
    this.buffers = {
      x: this.own(m * sizes4[0] * 4, 'X'),
      labels: this.own(m * 4, 'labels'),
      thetaPadded: this.own(sizes4[sizes4.length - 1] * k4 * 4, 'softmax theta padded'),
      logits: this.own(m * k4 * 4, 'Z'),
      deltaOut: this.own(rows * k4 * 4, 'P - Y'),
      backprop: this.own(rows * widest4 * 4, 'backprop'),
      lossPartials: this.own(softmaxPartialCount(m) * 4, 'cross-entropy partials'),
      columnPartials: this.own(chunkCount(rows) * widest4 * 4, 'column partials'),
      splitPartials: this.own(Math.ceil(rows / this.config.splitK) * needs.sliceFloats * 4, 'split-K partials'),
      weightPartials: this.own(sumSquaresPartialCount(layout.softmaxLength) * 4, 'softmax theta square partials'),
    };
    if (this.fused && hiddenSizes.length > 0) {
      const { tiles } = fusedMatmulProgram({ M: rows, N: 4, K: 4, transB: true, epilogue: { kind: 'hidden delta', sparsity: null, activation: 'sigmoid' } }, this.config.subgroupSize, this.config.tiling);
      // backpropDelta writes only `partials`; its other writable bindings take small buffers of their own.
      const spare2 = this.own(16, 'fused spare 2');
      this.fusedScratch = { partials: this.own(tiles * widest4 * 4, 'fused partials'), partials2: spare2, partials3: spare2, spare: this.own(16, 'fused spare') };
    }
    this.uploadRows(this.buffers.x, data.data, m, inputSize);
    ctx.device.queue.writeBuffer(this.buffers.labels, 0, Uint32Array.from(data.labels));
    if (options.theta) this.writeTheta(options.theta);
  }

  /** Throws what create() would for a classifier this size, creating nothing (a run's check before work). */
  static checkFits(ctx: GpuContext, shape: ClassifierShape, examples: number, options: GpuModelOptions = {}): void {
    checkModelFits(ctx, examples, classifierNeeds(shape, examples), options);
  }

  static create(ctx: GpuContext, shape: ClassifierShape, lambda: number, data: LabeledData, options: GpuClassifierOptions = {}): Promise<GpuClassifier> {
    return GpuModel.build(ctx, 'the GPU classifier', () => new GpuClassifier(ctx, shape, lambda, data, options));
  }

  /** [cost, crossEntropy, weightDecay, 0] as costBuffer holds them, as an evaluation. */
  static costOf(values: ArrayLike<number>): GpuClassifierEvaluation {
    return { cost: values[0], parts: { crossEntropy: values[1], weightDecay: values[2] } };
  }

  setLambda(lambda: number): void {
    checkLambda(lambda);
    this.lambda = lambda;
    this.refreshPrograms();
  }

  /** One submission and a read-back of the cost. */
  async evaluate(): Promise<GpuClassifierEvaluation> {
    return GpuClassifier.costOf((await this.evaluateAndRead('classifier cost and gradient')).cost);
  }

  /**
   * The last evaluation's P − Y, activations of each hidden layer and deltas, unpadded (tests).
   * An evaluation in pieces keeps only its last piece of them: not readable.
   */
  async readIntermediates(): Promise<{ deltaOut: Float32Array; activations: Float32Array[]; deltas: Float32Array[] }> {
    const m = this.checkIntermediatesKept();
    const sizes = this.shape.hiddenSizes;
    return {
      deltaOut: await this.readRowsOf(this.buffers.deltaOut, m, this.shape.numClasses),
      activations: await Promise.all(this.layers.map((layer, l) => this.readRowsOf(layer.activations, m, sizes[l]))),
      deltas: await Promise.all(this.layers.map((layer, l) => this.readRowsOf(layer.delta, m, sizes[l]))),
    };
  }

  /**
   * The class of every example of the current batch under θ (argmax of the logits, the first on
   * ties): one evaluation and one read-back of the logits.
   */
  async predict(theta: ArrayLike<number>): Promise<Uint8Array> {
    const k = this.shape.numClasses;
    const m = this.batch.count;
    const logits = await this.logits(theta);
    const predicted = new Uint8Array(m);
    for (let r = 0; r < m; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[r * k + c] > logits[r * k + best]) best = c;
      predicted[r] = best;
    }
    return predicted;
  }

  /** The class probabilities of every example of the current batch under θ: m × k, the softmax of predict's logits. */
  async probabilities(theta: ArrayLike<number>): Promise<Float64Array> {
    const k = this.shape.numClasses;
    const logits = await this.logits(theta);
    const p = new Float64Array(logits.length);
    for (let r = 0; r < logits.length / k; r++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += p[r * k + c] = Math.exp(logits[r * k + c] - max);
      for (let c = 0; c < k; c++) p[r * k + c] /= sum;
    }
    return p;
  }

  /** One evaluation under θ and the logits Z read back, m × k. */
  private async logits(theta: ArrayLike<number>): Promise<Float32Array> {
    this.writeTheta(theta);
    await this.evaluate();
    return this.readRowsOf(this.buffers.logits, this.batch.count, this.shape.numClasses);
  }

  /** The evaluation as layers; see the header. */
  protected stepDefinitions(geometry: PieceGeometry): StepDefinition[] {
    const { inputSize, hiddenSizes, numClasses: k } = this.shape;
    const sizes = [inputSize, ...hiddenSizes];
    // The number of sigmoid layers: sizes[depth] is the top one, below the softmax.
    const depth = hiddenSizes.length;
    const [L, buffer] = [this.layout, this.buffers];
    const kit: LayerKit = { config: this.config, geometry, scratch: buffer, ...(this.fusedScratch ? { fused: this.fusedScratch } : {}) };
    const x = geometry.dataRows(buffer.x, roundUp4(inputSize));
    const logits = geometry.resultRows(buffer.logits, roundUp4(k));
    /** a⁽ˡ⁾ of the piece (a⁽⁰⁾ = X). */
    const activations = (l: number): RowsOf => (l === 0 ? x : fromRow0(whole(this.layers[l - 1].activations)));

    const steps: StepDefinition[] = [
      ...this.layers.map((layer, l) => padWeights({ rows: sizes[l], cols: sizes[l + 1], offset: L.layers[l].W }, layer.weights)),
      padWeights({ rows: sizes[depth], cols: k, offset: L.softmax }, buffer.thetaPadded),
    ];
    for (let p = 0; p < geometry.pieces; p++) {
      this.layers.forEach((layer, l) =>
        steps.push(denseForward(kit, p, { input: activations(l), inputs: sizes[l], weights: layer.weights, output: whole(layer.activations), outputs: sizes[l + 1], activation: 'sigmoid', biasOffset: L.layers[l].b })),
      );
      steps.push(
        denseForward(kit, p, { input: activations(depth), inputs: sizes[depth], weights: buffer.thetaPadded, output: logits, outputs: k }),
        softmaxDelta(kit, p, { logits, labels: buffer.labels, classes: k, delta: buffer.deltaOut, lossPartials: buffer.lossPartials }),
        ...denseBackward(kit, p, {
          input: activations(depth), inputs: sizes[depth], delta: buffer.deltaOut, outputs: k, weights: buffer.thetaPadded,
          weightGradient: L.softmax, lambda: () => this.lambda, backprop: depth > 0 && !kit.fused ? buffer.backprop : undefined,
        }),
      );
      for (let l = depth; l >= 1; l--) {
        const layer = this.layers[l - 1];
        if (kit.fused) {
          // δ_above·W_abovepᵀ made into δₗ in the product's epilogue. ρ̂ is not read without a sparsity
          // term: any read-only buffer of a vec4 or more will do (the softmax's padded Θ).
          const above = l === depth ? { delta: buffer.deltaOut, outputs: k, weights: buffer.thetaPadded } : { delta: this.layers[l].delta, outputs: sizes[l + 1], weights: this.layers[l].weights };
          steps.push(
            ...backpropDelta(kit, p, above, {
              activations: whole(layer.activations), size: sizes[l], activation: 'sigmoid', sparsity: null,
              meanActivation: buffer.thetaPadded, delta: layer.delta, biasGradient: L.layers[l - 1].b,
            }),
            ...denseBackward(kit, p, { input: activations(l - 1), inputs: sizes[l - 1], delta: layer.delta, outputs: sizes[l], weights: layer.weights, weightGradient: L.layers[l - 1].W, lambda: () => 0 }),
          );
          continue;
        }
        steps.push(
          // ρ̂ is not read without a sparsity term: any buffer will do.
          ...hiddenDelta(kit, p, {
            backprop: buffer.backprop, activations: whole(layer.activations), size: sizes[l], activation: 'sigmoid', sparsity: null,
            meanActivation: buffer.lossPartials, delta: layer.delta, biasGradient: L.layers[l - 1].b,
          }),
          ...denseBackward(kit, p, {
            input: activations(l - 1), inputs: sizes[l - 1], delta: layer.delta, outputs: sizes[l], weights: layer.weights,
            weightGradient: L.layers[l - 1].W, lambda: () => 0, backprop: l > 1 ? buffer.backprop : undefined,
          }),
        );
      }
    }
    steps.push(...softmaxCost({ weights: { offset: L.softmax, count: L.softmaxLength }, weightPartials: buffer.weightPartials, lossPartials: buffer.lossPartials, lambda: () => this.lambda, out: this.costBuffer }));
    return steps;
  }
}

function checkLambda(lambda: number): void {
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new RangeError(`λ must be ≥ 0, got ${lambda}`);
}
