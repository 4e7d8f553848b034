/**
 * sparseAutoencoderCost on the GPU: the steps of src/reference/autoencoder.ts as layers of the
 * model layer (./model.ts, ./layers.ts), with the data set, θ, activations, deltas, partial
 * sums, gradient and cost in GPU buffers (float32). One evaluation is one command encoder: no
 * read-backs except the four cost scalars (and ρ̂ when asked).
 *
 *   W1p = pad(W1ᵀblock)  W2p = pad(W2ᵀblock)
 *   a⁽²⁾ = σ(X·W1p + b1)                        denseForward (sigmoid)        every piece, then
 *   ρ̂ = column means of a⁽²⁾                    columnMean
 *   a⁽³⁾ = σ(a⁽²⁾·W2p + b2), or a⁽²⁾·W2p + b2     denseForward (sigmoid/linear) piece by piece
 *   δ⁽³⁾, ∇b2, Σ(a⁽³⁾−x)²                        reconstructionDelta
 *   ∇W2 = a⁽²⁾ᵀδ⁽³⁾/m + λW2, δ⁽³⁾·W2p ᵀ           denseBackward
 *   δ⁽²⁾ (with the sparsity term), ∇b1           hiddenDelta
 *   ∇W1 = Xᵀδ⁽²⁾/m + λW1                         denseBackward
 *   [cost, reconstruction, weightDecay, sparsity]   reconstructionCost
 *
 * Fused (a matmul variant with fused epilogues, ./layers.ts), ρ̂'s column sums ride in a⁽²⁾'s
 * product (denseForwardSummed), δ⁽³⁾ with ∇b2's and Σ(a⁽³⁾−x)²'s in a⁽³⁾'s (outputLayer), and
 * δ⁽²⁾ with ∇b1's in δ⁽³⁾·W2p ᵀ (backpropDelta); the second levels of ∇b2, Σ(a⁽³⁾−x)², ∇W2, ∇b1
 * and ∇W1 wait for the piece's end and run as one dispatch (sumSlicesTogether; ∇W2's split-K
 * slices keep a buffer of their own until then), and W1 and W2 are padded in one: 10 dispatches
 * per evaluation instead of 18 (ρ̂'s sum must come before δ⁽²⁾, so it stays on its own).
 *
 * θ and the gradient keep UFLDL's packing [W1(:); W2(:); b1; b2]. ρ̂ needs every example before
 * any δ⁽²⁾, so with data in pieces the forward pass to a⁽²⁾ runs over all pieces first (X and
 * a⁽²⁾ stay whole in their buffers), then the rest piece by piece.
 */
import { validateHyperparameters, type CostParts, type Dataset, type Hyperparameters } from '../reference/autoencoder';
import { outputOf, thetaLayout, type Shape, type ThetaLayout } from '../reference/params';
import type { GpuContext } from './device';
import { backpropDelta, denseBackward, denseForward, denseForwardSummed, columnMean, fromRow0, hiddenDelta, outputLayer, padWeightPair, reconstructionCost, reconstructionDelta, sumSlicesTogether, whole, type DeferredSum, type LayerKit } from './layers';
import { checkModelFits, GpuModel, planPieces, type GpuModelOptions, type PieceGeometry, type PieceNeeds } from './model';
import { chunkCount, fusedMatmulProgram, roundUp4, sumSquaresPartialCount } from './programs';
import type { Batch, StepDefinition } from './steps';

export type { Batch } from './steps';

export interface GpuEvaluation {
  cost: number;
  parts: CostParts;
  /** ρ̂, when asked for. */
  meanActivation?: Float32Array;
}

export interface GpuAutoencoderOptions extends GpuModelOptions {
  /** Initial θ (UFLDL packing); zeros when absent. */
  theta?: ArrayLike<number>;
  batch?: Batch;
}

/** What an autoencoder of this shape over `m` examples asks of the device's buffers. */
function autoencoderNeeds({ visibleSize: v, hiddenSize: h }: Shape, m: number): PieceNeeds {
  const [v4, h4] = [roundUp4(v), roundUp4(h)];
  const thetaLength = thetaLayout({ visibleSize: v, hiddenSize: h }).length;
  return {
    rowFloats: Math.max(v4, h4),
    sliceFloats: v4 * h4,
    describe: `a ${v}-${h} model`,
    bindings: [
      [`θ (${thetaLength} float32)`, thetaLength * 4, ['hidden']],
      [`W1 (${v} × ${h} float32)`, v4 * h4 * 4, ['hidden']],
    ],
    wholeBuffers: [
      [`the data set (${m} × ${v} float32)`, m * v4 * 4],
      [`the hidden activations (${m} × ${h} float32)`, m * h4 * 4],
    ],
  };
}

/** The most examples one piece may hold (the model layer's planner, for this model's buffers). */
export function pieceRowsFor(visibleSize: number, hiddenSize: number, splitK: number, maxBinding: number): number {
  return planPieces(Infinity, autoencoderNeeds({ visibleSize, hiddenSize }, 0), splitK, maxBinding).pieceRows;
}

export class GpuSparseAutoencoder extends GpuModel {
  readonly shape: Shape;
  readonly layout: ThetaLayout;
  private hyperparameters: Hyperparameters;
  private readonly buffers: Record<
    'x' | 'w1p' | 'w2p' | 'a2' | 'a3' | 'delta3' | 'backprop' | 'delta2' | 'columnPartials' | 'squaredErrorPartials' | 'splitPartials' | 'meanActivation' | 'squaredErrorTotals' | 'weightPartials',
    GPUBuffer
  >;
  /** The fused steps' scratch (LayerKit.fused), and ∇W2's split-K slices while ∇W1's are made, when fused. */
  private readonly fusedScratch?: LayerKit['fused'] & { splitPartials2: GPUBuffer };

  private constructor(ctx: GpuContext, shape: Shape, hyperparameters: Hyperparameters, dataset: Dataset, options: GpuAutoencoderOptions) {
    const { visibleSize: v, hiddenSize: h } = shape;
    if (!(Number.isInteger(v) && v > 0 && Number.isInteger(h) && h > 0)) throw new RangeError(`sizes must be positive integers, got visible ${v}, hidden ${h}`);
    if (dataset.visibleSize !== v) throw new RangeError(`data has ${dataset.visibleSize} values per example; the model expects ${v}`);
    const m = dataset.examples;
    if (Number.isInteger(m) && m > 0 && dataset.data.length !== m * v) throw new RangeError(`data holds ${dataset.data.length} values, expected ${m} × ${v}`);
    validateHyperparameters(hyperparameters);
    const layout = thetaLayout(shape);
    const [v4, h4] = [roundUp4(v), roundUp4(h)];
    super(ctx, 'this autoencoder', m, layout.length, autoencoderNeeds(shape, m), { ...options, readbackFloats: h });
    this.shape = { visibleSize: v, hiddenSize: h, ...(shape.output ? { output: shape.output } : {}) };
    this.layout = layout;
    this.hyperparameters = { ...hyperparameters };
    const rows = this.pieceRows;
    this.buffers = {
      x: this.own(m * v4 * 4, 'X'),
      w1p: this.own(v4 * h4 * 4, 'W1 padded'),
      w2p: this.own(h4 * v4 * 4, 'W2 padded'),
      a2: this.own(m * h4 * 4, 'a2'),
      a3: this.own(rows * v4 * 4, 'a3'),
      delta3: this.own(rows * v4 * 4, 'delta3'),
      backprop: this.own(rows * h4 * 4, 'delta3·W2'),
      delta2: this.own(rows * h4 * 4, 'delta2'),
      columnPartials: this.own(chunkCount(rows) * Math.max(v4, h4) * 4, 'column partials'),
      squaredErrorPartials: this.own(chunkCount(rows) * v4 * 4, 'squared error partials'),
      splitPartials: this.own(Math.ceil(rows / this.config.splitK) * v4 * h4 * 4, 'split-K partials'),
      meanActivation: this.own(h4 * 4, 'rho hat'),
      squaredErrorTotals: this.own(v4 * 4, 'squared error column totals'),
      weightPartials: this.own(sumSquaresPartialCount(2 * h * v) * 4, 'weight square partials'),
    };
    if (this.fused) {
      const { tiles } = fusedMatmulProgram({ M: rows, N: 4, K: 4, transB: false, activation: 'linear', epilogue: { kind: 'column sums' } }, this.config.subgroupSize, this.config.tiling);
      this.fusedScratch = {
        partials: this.own(tiles * Math.max(v4, h4) * 4, 'fused partials'),
        partials2: this.own(tiles * v4 * 4, 'fused partials 2'),
        partials3: this.own(tiles * h4 * 4, 'fused partials 3'),
        spare: this.own(16, 'fused spare'),
        splitPartials2: this.own(Math.ceil(rows / this.config.splitK) * v4 * h4 * 4, 'split-K partials of W2'),
      };
    }
    this.uploadRows(this.buffers.x, dataset.data, m, v);
    if (options.theta) this.writeTheta(options.theta);
  }

  /** Throws what create() would for a model this size, creating nothing (a run's check before work). */
  static checkFits(ctx: GpuContext, shape: Shape, examples: number, options: GpuModelOptions = {}): void {
    checkModelFits(ctx, examples, autoencoderNeeds(shape, examples), options);
  }

  static create(ctx: GpuContext, shape: Shape, hyperparameters: Hyperparameters, dataset: Dataset, options: GpuAutoencoderOptions = {}): Promise<GpuSparseAutoencoder> {
    return GpuModel.build(ctx, 'the GPU sparse autoencoder', () => new GpuSparseAutoencoder(ctx, shape, hyperparameters, dataset, options), options.batch);
  }

  /** [cost, reconstruction, weightDecay, sparsity] as costBuffer holds them, as an evaluation. */
  static costOf(values: ArrayLike<number>): { cost: number; parts: CostParts } {
    return { cost: values[0], parts: { reconstruction: values[1], weightDecay: values[2], sparsity: values[3] } };
  }

  setHyperparameters(p: Hyperparameters): void {
    validateHyperparameters(p);
    this.hyperparameters = { ...p };
    this.refreshPrograms();
  }

  /** One submission; reads back only the four cost scalars (and ρ̂ when asked). */
  async evaluate(options: { meanActivation?: boolean } = {}): Promise<GpuEvaluation> {
    const h = this.shape.hiddenSize;
    const read = await this.evaluateAndRead('sparse autoencoder cost and gradient', options.meanActivation ? [{ buffer: this.buffers.meanActivation, count: h }] : []);
    const result: GpuEvaluation = GpuSparseAutoencoder.costOf(read.cost);
    if (options.meanActivation) result.meanActivation = read.extra[0];
    return result;
  }

  readMeanActivation(): Promise<Float32Array> {
    return this.readRowsOf(this.buffers.meanActivation, 1, this.shape.hiddenSize);
  }

  /** a⁽²⁾ of the last evaluation's batch, row-major without padding: the features of the examples. */
  readHiddenActivations(): Promise<Float32Array> {
    return this.readRowsOf(this.buffers.a2, this.batch.count, this.shape.hiddenSize);
  }

  /**
   * a⁽²⁾, a⁽³⁾, δ⁽³⁾, δ⁽²⁾ of the last evaluation's batch, row-major without padding (tests).
   * An evaluation in pieces keeps only its last piece of a⁽³⁾ and the deltas: not readable.
   */
  async readIntermediates(): Promise<{ a2: Float32Array; a3: Float32Array; delta3: Float32Array; delta2: Float32Array }> {
    const m = this.checkIntermediatesKept();
    const { visibleSize: v, hiddenSize: h } = this.shape;
    const { a2, a3, delta3, delta2 } = this.buffers;
    return { a2: await this.readRowsOf(a2, m, h), a3: await this.readRowsOf(a3, m, v), delta3: await this.readRowsOf(delta3, m, v), delta2: await this.readRowsOf(delta2, m, h) };
  }

  /** The evaluation as layers; see the header. */
  protected stepDefinitions(geometry: PieceGeometry): StepDefinition[] {
    const { visibleSize: v, hiddenSize: h } = this.shape;
    const output = outputOf(this.shape);
    const [L, buffer] = [this.layout, this.buffers];
    const kit: LayerKit = { config: this.config, geometry, scratch: buffer, ...(this.fusedScratch ? { fused: this.fusedScratch } : {}) };
    const hp = () => this.hyperparameters;
    const x = geometry.dataRows(buffer.x, roundUp4(v));
    const a2 = geometry.resultRows(buffer.a2, roundUp4(h));
    const steps: StepDefinition[] = [padWeightPair([{ rows: v, cols: h, offset: L.W1 }, { rows: h, cols: v, offset: L.W2 }], [buffer.w1p, buffer.w2p])];
    const sparsity = () => ({ sparsityParam: hp().sparsityParam, beta: hp().beta });
    const hidden = { activations: a2, size: h, activation: 'sigmoid', sparsity, meanActivation: buffer.meanActivation, delta: buffer.delta2, biasGradient: L.b1 } as const;
    const first = { input: x, inputs: v, weights: buffer.w1p, output: a2, outputs: h, activation: 'sigmoid', biasOffset: L.b1 } as const;
    const second = { input: fromRow0(a2), inputs: h, weights: buffer.w2p, output: whole(buffer.a3), outputs: v, activation: output, biasOffset: L.b2 };
    const rhoHat = { out: buffer.meanActivation, outOffset: 0, mean: true };
    const head = { data: x, delta: buffer.delta3, squaredErrorTotals: buffer.squaredErrorTotals, biasGradient: L.b2 };
    const secondBackward = { input: fromRow0(a2), inputs: h, delta: buffer.delta3, outputs: v, weights: buffer.w2p, weightGradient: L.W2, lambda: () => hp().lambda };
    for (let p = 0; p < geometry.pieces; p++) {
      if (kit.fused) steps.push(...denseForwardSummed(kit, p, first, rhoHat));
      else steps.push(denseForward(kit, p, first), ...columnMean(kit, p, { src: a2, cols: h, ...rhoHat }));
    }
    const firstBackward = { input: x, inputs: v, delta: buffer.delta2, outputs: h, weights: buffer.w1p, weightGradient: L.W1, lambda: () => hp().lambda };
    for (let p = 0; p < geometry.pieces; p++) {
      if (this.fusedScratch) {
        const deferred: DeferredSum[] = [];
        steps.push(
          ...outputLayer(kit, p, second, head, deferred),
          ...denseBackward(kit, p, { ...secondBackward, splitPartials: this.fusedScratch.splitPartials2 }, deferred),
          ...backpropDelta(kit, p, { delta: buffer.delta3, outputs: v, weights: buffer.w2p }, hidden, deferred),
          ...denseBackward(kit, p, firstBackward, deferred),
          sumSlicesTogether(deferred),
        );
      } else {
        steps.push(
          denseForward(kit, p, second),
          ...reconstructionDelta(kit, p, { ...head, output: whole(buffer.a3), size: v, activation: output, squaredErrorPartials: buffer.squaredErrorPartials }),
          ...denseBackward(kit, p, { ...secondBackward, backprop: buffer.backprop }),
          ...hiddenDelta(kit, p, { ...hidden, backprop: buffer.backprop }),
          ...denseBackward(kit, p, firstBackward),
        );
      }
    }
    steps.push(
      // W1 and W2 are contiguous in θ: ΣW1² + ΣW2² in one pass.
      ...reconstructionCost({
        weights: { offset: L.W1, count: 2 * h * v }, weightPartials: buffer.weightPartials, squaredErrorTotals: buffer.squaredErrorTotals,
        size: v, hidden: h, meanActivation: buffer.meanActivation, params: hp, sparse: true, out: this.costBuffer,
      }),
    );
    return steps;
  }
}
