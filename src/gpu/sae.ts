/**
 * The sparse autoencoders of current practice on the GPU; first GpuTopKAutoencoder, then
 * GpuReluL1Autoencoder (below, with its own step table).
 *
 * A TopK sparse autoencoder (Gao et al. 2024), or its BatchTopK variant (Bussmann et al. 2024), on
 * the GPU: saeCost of src/reference/sae.ts with that activation and the pre-bias, as layers of the
 * model layer (./model.ts, ./layers.ts) and the selection kernels of ./sae-programs.ts.
 *
 *   W_enc p = pad(W_enc block)   W_dec p = pad(W_dec block)
 *   xc = x − b_dec                               centre rows
 *   pre = xc·W_enc p + b_enc                     denseForward (linear)
 *   z = ReLU(TopK_k(pre)), in place              top-k (row-wise), or batch top-k over the
 *                                                batch with its running inference threshold
 *   x̂ = z·W_dec p + b_dec                        denseForward (linear)
 *   δ_out = x̂ − x, ∇b_dec, Σ(x̂ − x)²             reconstructionDelta (linear)
 *   ∇W_dec = zᵀδ_out/m, δ_out·W_dec pᵀ           denseBackward
 *   δ_pre = backprop·1[z > 0], ∇b_enc            hiddenDelta (relu: the mask of the selection)
 *   ∇W_enc = xcᵀδ_pre/m, δ_pre·W_enc pᵀ          denseBackward
 *   ∇b_dec −= column means of δ_pre·W_enc pᵀ     column sums → sum slices (b_dec's path through xc)
 *   [cost, reconstruction, 0, 0]                 reconstructionCost (no decay, no sparsity)
 *
 * With AuxK (TopK, or BatchTopK: its dead latents are chosen row-wise too), after the main path of each piece, on the dead latents that
 * setDeadLatents flagged (none: no AuxK term), e = x − x̂ held constant:
 *   pre again, z_aux = ReLU(TopK_kAux(pre | dead)) denseForward (linear), masked top-k
 *   ê = z_aux·W_dec p (no bias)                  denseForward (no epilogue)
 *   δ_aux = α(ê + δ_out) = α(ê − e), Σ(ê − e)²   AuxK delta → sum slices
 *   ∇W_dec += z_auxᵀδ_aux/m, then the encoder's  denseBackward (accumulate), ReLU mask of z_aux,
 *   three gradients again from δ_aux's δ_pre     denseBackward (accumulate), ∇b_enc, ∇b_dec
 *   cost[3] = α/2m·Σ(ê − e)², added to cost[0]   L1 addPenalty (weights all 1)
 *
 * The cost is the model layer's reconstruction head: (1/2m)·Σ‖x̂ − x‖², half saeCost's L_rec (the
 * batch mean of ‖x − x̂‖²), and the gradient is half saeCost's: a constant factor an optimizer's
 * learning rate absorbs; the test compares 2× these with the twin. θ has saeLayout's packing.
 * BatchTopK selects over the whole batch at once, so its data must fit one piece. The decoder
 * renormalisation between steps is the training loop's (src/train/sae-trainer.ts).
 *
 * The sparse decoder path (TopK, where sparseDecoderFor(k, latents) says, or options.decoder):
 * only the encoder's product stays dense; everything after the selection touches the kept pairs
 * (the top-k's sparse form, rows × k indices and values) alone, the same gradient in meaning:
 *   z and its sparse form                        top-k (+ sparse form)
 *   x̂ = Σ_j z_j·W_dec,j + b_dec                  sparse decode (B·k·d)
 *   δ_out, ∇b_dec, Σ(x̂ − x)²                     reconstructionDelta, as above
 *   δ_pre[b, j] = W_dec,j·δ_out[b], kept pairs    sparse backward: backprop (B·k·d)
 *   each latent's rows with z > 0                 sparse backward: buildLists (B·latents reads)
 *   ∇W_dec,j, ∇W_enc,j, ∇b_enc,j over those rows  sparse backward: weightGradients (B·k·d)
 *   AuxK likewise on its kAux pairs, ê without the bias, accumulated; its pre-activations a
 *   copy of the main ones taken before the selection (axpy), not a second encoder product
 *   ∇b_dec −= W_encᵀ∇b_enc, once after every piece and AuxK (b_dec's path through xc)
 */
import type { Dataset } from '../reference/autoencoder';
import { AUXK_COEFFICIENT, saeLayout, THRESHOLD_RATE, type SaeShape } from '../reference/sae';
import type { ThetaLayout } from '../reference/params';
import type { GpuContext } from './device';
import { columnMean, denseBackward, denseForward, fromRow0, hiddenDelta, padWeights, reconstructionCost, reconstructionDelta, whole, type LayerKit } from './layers';
import { GpuModel, type GpuModelOptions, type PieceGeometry } from './model';
import { chunkCount, columnSumsProgram, hiddenDeltaProgram, roundUp4, sumSlicesProgram, sumSquaresPartialCount } from './programs';
import { axpyProgram } from './optimizer-programs';
import { auxKDeltaProgram, BATCH_SELECT_STATE_WORDS, batchSelectBlocks, batchTopKPrograms, centerRowsProgram, decoderNormsProgram, l1Program, sparseBackwardProgram, sparseDecodeProgram, sparseDecoderFor, THRESHOLD_INDEX, topKProgram, topKVariantFor } from './sae-programs';
import { readF32 } from './runtime';
import type { Batch, StepDefinition } from './steps';

/**
 * Which selection: k per example (with AuxK, optionally: the top kAux of the dead latents
 * reconstruct the residual, weighted by `coefficient`, 1/32 by default), or k·B over a batch of B
 * with the threshold's rate α.
 */
export type SaeSelection =
  | { kind: 'topk'; k: number; auxK?: { kAux: number; coefficient?: number } }
  | { kind: 'batchtopk'; k: number; rate?: number; auxK?: { kAux: number; coefficient?: number } };

export interface GpuTopKOptions extends GpuModelOptions {
  theta?: ArrayLike<number>;
  batch?: Batch;
  /**
   * TopK's decoder and backward pass: on z's sparse form (B·k·d work) or with the dense products
   * (B·latents·d); by default as sparseDecoderFor(k, latents) rules. BatchTopK and ReLU-L1 are dense.
   */
  decoder?: 'dense' | 'sparse';
}

export interface GpuTopKEvaluation {
  /** (1/2m)·Σ‖x̂ − x‖² (+ α/2m·Σ‖ê − e‖² with AuxK; see the header). */
  cost: number;
  parts: { reconstruction: number; auxK: number };
}

/** The buffers every SAE's evaluation has: the data, padded weights, latents, reconstruction, deltas and reductions. */
type SaeBufferName = 'x' | 'wEncPadded' | 'wDecPadded' | 'z' | 'xHat' | 'deltaOut' | 'backprop' | 'deltaPre' | 'columnPartials' | 'squaredErrorPartials' | 'splitPartials' | 'squaredErrorTotals' | 'weightPartials';

/**
 * What the SAEs share on the model layer: the shape's and data's checks, the buffers of the
 * encoder–decoder path, θ, and the latents a training loop reads. Each variant adds the buffers
 * and steps of its selection or penalty.
 */
abstract class GpuSaeModel extends GpuModel {
  readonly shape: SaeShape;
  readonly layout: ThetaLayout;
  protected readonly common: Record<SaeBufferName, GPUBuffer>;

  protected constructor(ctx: GpuContext, name: string, shape: SaeShape, dataset: Dataset, options: GpuTopKOptions) {
    const { inputs: d, latents: h } = shape;
    if (!(Number.isInteger(d) && d > 0 && Number.isInteger(h) && h > 0)) throw new RangeError(`sizes must be positive integers, got inputs ${d}, latents ${h}`);
    if (dataset.visibleSize !== d) throw new RangeError(`data has ${dataset.visibleSize} values per example; the model expects ${d}`);
    const m = dataset.examples;
    if (Number.isInteger(m) && m > 0 && dataset.data.length !== m * d) throw new RangeError(`data holds ${dataset.data.length} values, expected ${m} × ${d}`);
    const layout = saeLayout(shape);
    const [d4, h4] = [roundUp4(d), roundUp4(h)];
    super(
      ctx,
      `this ${name}`,
      m,
      layout.length,
      {
        rowFloats: Math.max(d4, h4),
        sliceFloats: d4 * h4,
        describe: `a ${d}-${h} ${name}`,
        bindings: [[`θ (${layout.length} float32)`, layout.length * 4, ['hidden']]],
        wholeBuffers: [[`the data set (${m} × ${d} float32)`, m * d4 * 4]],
      },
      options,
    );
    this.shape = { inputs: d, latents: h };
    this.layout = layout;
    const rows = this.pieceRows;
    this.common = {
      x: this.own(m * d4 * 4, 'X'),
      wEncPadded: this.own(d4 * h4 * 4, 'W_enc padded'),
      wDecPadded: this.own(h4 * d4 * 4, 'W_dec padded'),
      z: this.own(rows * h4 * 4, 'z'),
      xHat: this.own(rows * d4 * 4, 'x hat'),
      deltaOut: this.own(rows * d4 * 4, 'x hat − x'),
      backprop: this.own(rows * h4 * 4, 'delta out·W_dec'),
      deltaPre: this.own(rows * h4 * 4, 'delta pre'),
      columnPartials: this.own(chunkCount(rows) * Math.max(d4, h4) * 4, 'column partials'),
      squaredErrorPartials: this.own(chunkCount(rows) * d4 * 4, 'squared error partials'),
      splitPartials: this.own(Math.ceil(rows / this.config.splitK) * d4 * h4 * 4, 'split-K partials'),
      squaredErrorTotals: this.own(d4 * 4, 'squared error column totals'),
      weightPartials: this.own(sumSquaresPartialCount(2 * h * d) * 4, 'weight square partials'),
    };
    this.uploadRows(this.common.x, dataset.data, m, d);
    if (options.theta) this.writeTheta(options.theta);
  }

  /** [cost, (1/2m)Σ‖x̂ − x‖², 0, 0]: no weight decay and no KL penalty (ρ̂ is not read). */
  protected reconstructionCost(): StepDefinition[] {
    const { inputs: d, latents: h } = this.shape;
    const buffer = this.common;
    return reconstructionCost({
      weights: { offset: this.layout.W1, count: 2 * h * d },
      weightPartials: buffer.weightPartials,
      squaredErrorTotals: buffer.squaredErrorTotals,
      size: d,
      hidden: h,
      meanActivation: buffer.squaredErrorTotals,
      params: () => ({ lambda: 0, sparsityParam: 0, beta: 0 }),
      sparse: false,
      out: this.costBuffer,
    });
  }

  /** z of the last evaluation's batch (rows × latents, unpadded): which latents fired. */
  readLatents(): Promise<Float32Array> {
    return this.readRowsOf(this.common.z, this.checkIntermediatesKept(), this.shape.latents);
  }

  /**
   * The buffer z lives in (rows × roundUp4(latents)), for a training loop's dispatches recorded
   * after an evaluation (its dead-latent tracking), which must not wait on a read-back.
   */
  get latentsBuffer(): GPUBuffer {
    return this.common.z;
  }
}

export class GpuTopKAutoencoder extends GpuSaeModel {
  readonly selection: SaeSelection;
  /** Whether the decoder and backward pass run on z's sparse form (see GpuTopKOptions.decoder). */
  readonly sparseDecoder: boolean;
  private deadCount = 0;
  /** The sparse path's buffers (one placeholder each on the dense path). */
  private readonly sparse: Record<'indices' | 'values' | 'auxIndices' | 'auxValues' | 'lists' | 'counts' | 'zeros', GPUBuffer>;
  private readonly buffers: Record<
    | SaeBufferName
    | 'xc'
    | 'inputBackprop'
    | 'unusedIndices'
    | 'unusedValues'
    | 'unusedEligible'
    | 'selectState'
    | 'blockTies'
    | 'zAux'
    | 'eHat'
    | 'deltaAux'
    | 'auxTotals'
    | 'ones'
    | 'deadLatents',
    GPUBuffer
  >;

  private constructor(ctx: GpuContext, shape: SaeShape, selection: SaeSelection, dataset: Dataset, options: GpuTopKOptions) {
    const { k } = selection;
    const h = shape.latents;
    if (!(Number.isInteger(k) && k >= 1 && k <= h)) throw new RangeError(`k = ${k} must be in [1, ${h}]`);
    if (selection.auxK) {
      const kAux = selection.auxK.kAux;
      if (!(Number.isInteger(kAux) && kAux >= 1 && kAux <= h)) throw new RangeError(`kAux = ${kAux} must be in [1, ${h}]`);
    }
    super(ctx, 'TopK autoencoder', shape, dataset, options);
    if (selection.kind === 'batchtopk' && this.pieces > 1) {
      throw new RangeError(`BatchTopK selects over the whole batch, and ${this.examples} examples are evaluated in ${this.pieces} pieces: use at most ${this.pieceRows} examples`);
    }
    this.selection = { ...selection };
    if (options.decoder === 'sparse' && selection.kind !== 'topk') throw new RangeError('the sparse decoder needs the row-wise TopK selection (k per example), not BatchTopK');
    this.sparseDecoder = selection.kind === 'topk' && (options.decoder ? options.decoder === 'sparse' : sparseDecoderFor(k, h));
    const rows = this.pieceRows;
    const [d4, h4] = [roundUp4(shape.inputs), roundUp4(h)];
    const sized = (bytes: number) => (this.sparseDecoder ? Math.max(16, bytes) : 16);
    const kAux = selection.auxK?.kAux ?? 1;
    this.sparse = {
      indices: this.own(sized(rows * k * 4), 'top-k indices'),
      values: this.own(sized(rows * k * 4), 'top-k values'),
      auxIndices: this.own(sized(rows * kAux * 4), 'AuxK top-k indices'),
      auxValues: this.own(sized(rows * kAux * 4), 'AuxK top-k values'),
      lists: this.own(sized(h * rows * 4), 'rows where each latent fired'),
      counts: this.own(sized(h * 4), 'rows each latent fired in'),
      zeros: this.own(sized(d4 * 4), 'zeros (no bias)'),
    };
    this.buffers = {
      ...this.common,
      xc: this.own(rows * d4 * 4, 'X − b_dec'),
      inputBackprop: this.own(rows * d4 * 4, 'delta pre·W_enc'),
      // The dense path needs no sparse form or mask, but the selection kernel binds them.
      unusedIndices: this.own(16, 'top-k indices (unused)'),
      unusedValues: this.own(16, 'top-k values (unused)'),
      unusedEligible: this.own(16, 'top-k eligible latents (unused)'),
      // BatchTopK's search state and running threshold (θ = 0 before the first batch).
      selectState: this.own(BATCH_SELECT_STATE_WORDS * 4, 'batch top-k state'),
      blockTies: this.own(batchSelectBlocks(rows, h) * 4, 'batch top-k ties per block'),
      zAux: this.own(rows * h4 * 4, 'z aux'),
      eHat: this.own(rows * d4 * 4, 'e hat'),
      deltaAux: this.own(rows * d4 * 4, 'delta aux'),
      auxTotals: this.own(d4 * 4, 'AuxK squared error column totals'),
      ones: this.own(d4 * 4, 'ones'),
      deadLatents: this.own(h * 4, 'dead latents'),
    };
    ctx.device.queue.writeBuffer(this.buffers.ones, 0, new Float32Array(d4).fill(1));
  }

  static create(ctx: GpuContext, shape: SaeShape, selection: SaeSelection, dataset: Dataset, options: GpuTopKOptions = {}): Promise<GpuTopKAutoencoder> {
    return GpuModel.build(ctx, 'the GPU TopK autoencoder', () => new GpuTopKAutoencoder(ctx, shape, selection, dataset, options), options.batch);
  }

  /**
   * Flags the dead latents for AuxK (the training loop decides which: e.g. none of their
   * activations nonzero for the last 10M tokens); none flagged, no AuxK term.
   */
  setDeadLatents(dead: ArrayLike<boolean>): void {
    this.assertUsable();
    if (dead.length !== this.shape.latents) throw new RangeError(`${dead.length} flags for ${this.shape.latents} latents`);
    const flags = Uint32Array.from({ length: dead.length }, (_, i) => (dead[i] ? 1 : 0));
    this.ctx.device.queue.writeBuffer(this.buffers.deadLatents, 0, flags);
    const hadDead = this.deadCount > 0;
    this.deadCount = flags.reduce((a, v) => a + v, 0);
    // Only whether any latent is dead reaches a uniform (AuxK's weight in the cost): the flags
    // themselves are read from their buffer. A training loop sets them after every group of
    // steps, and a refresh rewrites the uniforms of every batch the model has met.
    if (hadDead !== this.deadCount > 0) this.refreshPrograms();
  }

  /**
   * BatchTopK's running inference threshold after the evaluations so far (θ ← (1 − α)θ + α·(the
   * batch's smallest positive kept value), from 0): a JumpReLU with it encodes without a batch.
   */
  readThreshold(): Promise<number> {
    return this.serialize(async () => (await readF32(this.ctx, this.buffers.selectState, THRESHOLD_INDEX, 1))[0]);
  }

  /** Sets the running threshold the next batches update (a run resumed, or started from a saved BatchTopK). */
  writeThreshold(threshold: number): void {
    this.assertUsable();
    this.ctx.device.queue.writeBuffer(this.buffers.selectState, THRESHOLD_INDEX * 4, new Float32Array([threshold]));
  }

  async evaluate(): Promise<GpuTopKEvaluation> {
    const { cost } = await this.evaluateAndRead('TopK autoencoder cost and gradient');
    return { cost: cost[0], parts: { reconstruction: cost[1], auxK: cost[3] } };
  }

  /** z = ReLU(TopK(pre)) in place: one row-wise step, or the batch selection's eleven. */
  private selectionSteps(count: (b: Batch) => number): StepDefinition[] {
    const { latents: h } = this.shape;
    const buffer = this.buffers;
    const selection = this.selection;
    if (selection.kind === 'topk') {
      return [
        {
          make: (b) => topKProgram({ rows: count(b), cols: h, ld: roundUp4(h), k: selection.k, sparse: this.sparseDecoder, variant: topKVariantFor(this.config) }),
          buffers: () =>
            this.sparseDecoder
              ? { z: buffer.z, indices: this.sparse.indices, values: this.sparse.values, eligible: buffer.unusedEligible }
              : { z: buffer.z, indices: buffer.unusedIndices, values: buffer.unusedValues, eligible: buffer.unusedEligible },
        },
      ];
    }
    const programs = (b: Batch) => batchTopKPrograms({ rows: count(b), cols: h, ld: roundUp4(h), k: selection.k, rate: selection.rate ?? THRESHOLD_RATE });
    const named: Record<string, GPUBuffer> = { state: buffer.selectState, z: buffer.z, blockTies: buffer.blockTies };
    return programs({ start: 0, count: 1 }).map((first, i) => ({
      make: (b: Batch) => programs(b)[i],
      buffers: () => Object.fromEntries(first.bindingNames.map((name) => [name, named[name]])),
    }));
  }

  protected stepDefinitions(geometry: PieceGeometry): StepDefinition[] {
    const { inputs: d, latents: h } = this.shape;
    const [d4, h4] = [roundUp4(d), roundUp4(h)];
    const [L, buffer] = [this.layout, this.buffers];
    const kit: LayerKit = { config: this.config, geometry, scratch: buffer };
    const x = geometry.dataRows(buffer.x, d4);
    const xc = fromRow0(whole(buffer.xc));
    const noDecay = () => 0;
    const steps: StepDefinition[] = [padWeights({ rows: d, cols: h, offset: L.W1 }, buffer.wEncPadded), padWeights({ rows: h, cols: d, offset: L.W2 }, buffer.wDecPadded)];
    for (let p = 0; p < geometry.pieces; p++) {
      const count = (b: Batch) => geometry.piece(b, p).count;
      steps.push(
        {
          make: (b) => centerRowsProgram({ rows: count(b), cols: d, xRow: x(b, p).row, biasOffset: L.b2 }),
          buffers: (t, _g, b) => ({ x: x(b, p).binding, bias: t, out: buffer.xc }),
        },
        denseForward(kit, p, { input: xc, inputs: d, weights: buffer.wEncPadded, output: whole(buffer.z), outputs: h, activation: 'linear', biasOffset: L.b1 }),
        // The sparse path keeps the pre-activations for AuxK's selection (a copy, B·latents)
        // instead of computing them again (a B·latents·d product) after the main one overwrote them.
        ...(this.sparseDecoder && this.selection.auxK
          ? [{ make: (b: Batch) => axpyProgram({ length: count(b) * h4, a: 1, overwrite: true }), buffers: () => ({ x: buffer.z, y: buffer.zAux }) }]
          : []),
        ...this.selectionSteps(count),
        ...(this.sparseDecoder
          ? [this.sparseDecode(p, count, this.sparse.indices, this.sparse.values, this.selection.k, L.b2, buffer.xHat)]
          : [
            denseForward(kit, p, { input: fromRow0(whole(buffer.z)), inputs: h, weights: buffer.wDecPadded, output: whole(buffer.xHat), outputs: d, activation: 'linear', biasOffset: L.b2 }),
            ]),
        ...reconstructionDelta(kit, p, {
          output: whole(buffer.xHat),
          data: x,
          size: d,
          activation: 'linear',
          delta: buffer.deltaOut,
          squaredErrorPartials: buffer.squaredErrorPartials,
          squaredErrorTotals: buffer.squaredErrorTotals,
          biasGradient: L.b2,
        }),
        ...(this.sparseDecoder
          ? this.sparseBackward(p, count, { indices: this.sparse.indices, values: this.sparse.values, k: this.selection.k, z: buffer.z, deltaOut: buffer.deltaOut, accumulate: p > 0 })
          : [
            ...denseBackward(kit, p, { input: fromRow0(whole(buffer.z)), inputs: h, delta: buffer.deltaOut, outputs: d, weights: buffer.wDecPadded, weightGradient: L.W2, lambda: noDecay, backprop: buffer.backprop }),
            // The selection's backward pass: δ reaches the kept latents with z > 0 only, the ReLU mask.
            ...hiddenDelta(kit, p, {
              backprop: buffer.backprop,
              activations: whole(buffer.z),
              size: h,
              activation: 'relu',
              sparsity: null,
              meanActivation: buffer.squaredErrorTotals,
              delta: buffer.deltaPre,
              biasGradient: L.b1,
            }),
            ...denseBackward(kit, p, { input: xc, inputs: d, delta: buffer.deltaPre, outputs: h, weights: buffer.wEncPadded, weightGradient: L.W1, lambda: noDecay, backprop: buffer.inputBackprop }),
            ...this.decoderBiasThroughCentre(kit, count),
            ]),
        ...(this.sparseDecoder ? this.sparseAuxKSteps(kit, p, count) : this.auxKSteps(kit, p, count)),
      );
    }
    if (this.sparseDecoder) {
      // b_dec's path through xc for every piece and AuxK at once: ∇b_dec −= W_encᵀ∇b_enc.
      steps.push({
        make: () => sparseBackwardProgram('decoderBias', { rows: 1, latents: h, width: d, offsets: L }),
        buffers: (t, g) => ({ theta: t, biasGrad: g }),
      });
    }
    steps.push(
      ...this.reconstructionCost(),
    );
    const auxK = this.selection.auxK;
    if (auxK) {
      steps.push({
        // α/2m·Σ(ê − e)²: AuxK's column totals weighted by ones into cost[3] and cost[0]; 0 with no dead latent.
        make: (b) => l1Program('addPenalty', { rows: b.count, latents: d, lambda: this.deadCount > 0 ? (auxK.coefficient ?? AUXK_COEFFICIENT) : 0, scale: 1 / (2 * b.count) }),
        buffers: () => ({ zColumnSums: buffer.auxTotals, norms: buffer.ones, cost: this.costBuffer }),
      });
    }
    return steps;
  }

  /** x̂ (or ê, without a bias) = Σ_j values·W_dec,j (+ b_dec) for the piece's rows, from a top-k's sparse form. */
  private sparseDecode(p: number, count: (b: Batch) => number, indices: GPUBuffer, values: GPUBuffer, k: number, biasOffset: number | null, out: GPUBuffer): StepDefinition {
    const buffer = this.buffers;
    return {
      make: (b) => sparseDecodeProgram({ rows: count(b), k, width: this.shape.inputs, biasOffset: biasOffset ?? 0 }),
      buffers: (t) => ({ indices, values, w: buffer.wDecPadded, bias: biasOffset === null ? this.sparse.zeros : t, out }),
    };
  }

  /**
   * The backward pass of one selection (the main one, or AuxK's with its δ) on the sparse form:
   * δ_pre at the kept pairs, each latent's rows, then ∇W_dec, ∇W_enc and ∇b_enc over those rows.
   */
  private sparseBackward(
    p: number,
    count: (b: Batch) => number,
    path: { indices: GPUBuffer; values: GPUBuffer; k: number; z: GPUBuffer; deltaOut: GPUBuffer; accumulate: boolean },
  ): StepDefinition[] {
    const { inputs: d, latents: h } = this.shape;
    const [L, buffer, sparse] = [this.layout, this.buffers, this.sparse];
    return [
      {
        make: (b) => sparseBackwardProgram('backprop', { rows: count(b), k: path.k, latents: h, width: d }),
        buffers: () => ({ indices: path.indices, values: path.values, wDec: buffer.wDecPadded, deltaOut: path.deltaOut, deltaPre: buffer.deltaPre }),
      },
      {
        make: (b) => sparseBackwardProgram('buildLists', { rows: count(b), latents: h, width: d }),
        buffers: () => ({ z: path.z, lists: sparse.lists, counts: sparse.counts }),
      },
      {
        make: (b) => sparseBackwardProgram('weightGradients', { rows: count(b), latents: h, width: d, offsets: L, scale: 1 / b.count, accumulate: path.accumulate }),
        buffers: (_t, g) => ({ zKept: path.z, rowLists: sparse.lists, rowCounts: sparse.counts, deltaRows: path.deltaOut, deltaKept: buffer.deltaPre, xc: buffer.xc, grad: g }),
      },
    ];
  }

  /** AuxK's path for piece p on the sparse form: as auxKSteps, with the decode and backward pass of sparseBackward. */
  private sparseAuxKSteps(kit: LayerKit, p: number, count: (b: Batch) => number): StepDefinition[] {
    const auxK = this.selection.auxK;
    if (!auxK) return [];
    const { inputs: d, latents: h } = this.shape;
    const [d4, h4] = [roundUp4(d), roundUp4(h)];
    const [buffer, sparse] = [this.buffers, this.sparse];
    const coefficient = auxK.coefficient ?? AUXK_COEFFICIENT;
    return [
      // zAux holds the pre-activations, copied before the main selection.
      {
        make: (b) => topKProgram({ rows: count(b), cols: h, ld: h4, k: auxK.kAux, masked: true, sparse: true, variant: topKVariantFor(kit.config) }),
        buffers: () => ({ z: buffer.zAux, indices: sparse.auxIndices, values: sparse.auxValues, eligible: buffer.deadLatents }),
      },
      this.sparseDecode(p, count, sparse.auxIndices, sparse.auxValues, auxK.kAux, null, buffer.eHat),
      {
        make: (b) => auxKDeltaProgram({ rows: count(b), cols4: d4 / 4, coefficient }, kit.config.laneGroup),
        buffers: () => ({ eHat: buffer.eHat, deltaOut: buffer.deltaOut, deltaAux: buffer.deltaAux, squaredError: buffer.squaredErrorPartials }),
      },
      {
        make: (b) => sumSlicesProgram({ rows: 1, cols: d, ld: d4, sliceStride: d4, slices: chunkCount(count(b)), outOffset: 0, scale: 1, accumulate: p > 0 }),
        buffers: (t) => ({ partials: buffer.squaredErrorPartials, w: t, out: buffer.auxTotals }),
      },
      ...this.sparseBackward(p, count, { indices: sparse.auxIndices, values: sparse.auxValues, k: auxK.kAux, z: buffer.zAux, deltaOut: buffer.deltaAux, accumulate: true }),
    ];
  }

  /** b_dec also enters through xc = x − b_dec: ∇b_dec −= (1/m)·Σ_rows δ_pre·W_encᵀ (inputBackprop). */
  private decoderBiasThroughCentre(kit: LayerKit, count: (b: Batch) => number): StepDefinition[] {
    const d = this.shape.inputs;
    const d4 = roundUp4(d);
    const buffer = this.buffers;
    return [
      {
        make: (b) => columnSumsProgram({ rows: count(b), cols4: d4 / 4 }, kit.config.laneGroup),
        buffers: () => ({ src: buffer.inputBackprop, partials: buffer.columnPartials }),
      },
      {
        make: (b) => sumSlicesProgram({ rows: 1, cols: d, ld: d4, sliceStride: d4, slices: chunkCount(count(b)), outOffset: this.layout.b2, scale: -1 / b.count, accumulate: true }),
        buffers: (t, g) => ({ partials: buffer.columnPartials, w: t, out: g }),
      },
    ];
  }

  /** AuxK's path for piece p (see the header); reuses the main path's scratch, which it has finished with. */
  private auxKSteps(kit: LayerKit, p: number, count: (b: Batch) => number): StepDefinition[] {
    const auxK = this.selection.auxK;
    if (!auxK) return [];
    const { inputs: d, latents: h } = this.shape;
    const [d4, h4] = [roundUp4(d), roundUp4(h)];
    const [L, buffer] = [this.layout, this.buffers];
    const coefficient = auxK.coefficient ?? AUXK_COEFFICIENT;
    const xc = fromRow0(whole(buffer.xc));
    const zAux = whole(buffer.zAux);
    const noDecay = () => 0;
    return [
      // The pre-activations again: the main selection overwrote them (the same product, bit for bit).
      denseForward(kit, p, { input: xc, inputs: d, weights: buffer.wEncPadded, output: zAux, outputs: h, activation: 'linear', biasOffset: L.b1 }),
      {
        make: (b) => topKProgram({ rows: count(b), cols: h, ld: h4, k: auxK.kAux, masked: true, variant: topKVariantFor(kit.config) }),
        buffers: () => ({ z: buffer.zAux, indices: buffer.unusedIndices, values: buffer.unusedValues, eligible: buffer.deadLatents }),
      },
      denseForward(kit, p, { input: fromRow0(zAux), inputs: h, weights: buffer.wDecPadded, output: whole(buffer.eHat), outputs: d }),
      {
        make: (b) => auxKDeltaProgram({ rows: count(b), cols4: d4 / 4, coefficient }, kit.config.laneGroup),
        buffers: () => ({ eHat: buffer.eHat, deltaOut: buffer.deltaOut, deltaAux: buffer.deltaAux, squaredError: buffer.squaredErrorPartials }),
      },
      {
        make: (b) => sumSlicesProgram({ rows: 1, cols: d, ld: d4, sliceStride: d4, slices: chunkCount(count(b)), outOffset: 0, scale: 1, accumulate: p > 0 }),
        buffers: (t) => ({ partials: buffer.squaredErrorPartials, w: t, out: buffer.auxTotals }),
      },
      ...denseBackward(kit, p, { input: fromRow0(zAux), inputs: h, delta: buffer.deltaAux, outputs: d, weights: buffer.wDecPadded, weightGradient: L.W2, lambda: noDecay, backprop: buffer.backprop, accumulate: true }),
      {
        make: (b) => hiddenDeltaProgram({ rows: count(b), hidden: h, sparsity: null, activation: 'relu' }, kit.config.laneGroup),
        buffers: () => ({ backprop: buffer.backprop, a2: buffer.zAux, meanActivation: buffer.auxTotals, delta2: buffer.deltaPre, deltaSum: buffer.columnPartials }),
      },
      {
        make: (b) => sumSlicesProgram({ rows: 1, cols: h, ld: h4, sliceStride: h4, slices: chunkCount(count(b)), outOffset: L.b1, scale: 1 / b.count, accumulate: true }),
        buffers: (t, g) => ({ partials: buffer.columnPartials, w: t, out: g }),
      },
      ...denseBackward(kit, p, { input: xc, inputs: d, delta: buffer.deltaPre, outputs: h, weights: buffer.wEncPadded, weightGradient: L.W1, lambda: noDecay, backprop: buffer.inputBackprop, accumulate: true }),
      ...this.decoderBiasThroughCentre(kit, count),
    ];
  }
}

// ---------------------------------------------------------------------------------------------

export interface GpuReluL1Evaluation {
  /** (1/2m)·Σ‖x̂ − x‖² + (λ/2)·(1/m)Σ_b Σ_i z_bi‖W_dec,i‖: half saeCost's (see the header). */
  cost: number;
  parts: { reconstruction: number; l1: number };
}

/**
 * A ReLU SAE with the L1 penalty weighted by the decoder norms (Anthropic, April 2024): saeCost
 * with the ReLU activation, no pre-bias and `l1: λ`, at half scale like the TopK model, so the
 * kernels get λ/2.
 *
 *   n_i = ‖W_dec,i‖                                   decoder columnNorms (from θ, once)
 *   z = ReLU(x·W_enc p + b_enc)                       denseForward (relu)
 *   Σ_b z, x̂ = z·W_dec p + b_dec                       columnMean (sums), denseForward (linear)
 *   δ_out, ∇b_dec, Σ(x̂ − x)²                          reconstructionDelta (linear)
 *   ∇W_dec = zᵀδ_out/m, δ_out·W_dec pᵀ                denseBackward
 *   δ_pre = (backprop + (λ/2)·n_i)·1[z > 0], ∇b_enc   L1 encoderDelta, columnMean
 *   ∇W_enc = xᵀδ_pre/m                                denseBackward
 *   ∇W_dec,i += (λ/2)(Σ_b z_bi / m)·w_i/n_i           L1 decoderGradient (after every piece)
 *   [cost, reconstruction, 0, penalty]                reconstructionCost, then L1 addPenalty
 */
export class GpuReluL1Autoencoder extends GpuSaeModel {
  private lambda: number;
  private readonly buffers: Record<SaeBufferName | 'norms' | 'zSums', GPUBuffer>;

  private constructor(ctx: GpuContext, shape: SaeShape, lambda: number, dataset: Dataset, options: GpuTopKOptions) {
    if (!(lambda >= 0)) throw new RangeError(`λ = ${lambda} must be ≥ 0`);
    super(ctx, 'ReLU-L1 autoencoder', shape, dataset, options);
    this.lambda = lambda;
    const h4 = roundUp4(shape.latents);
    this.buffers = { ...this.common, norms: this.own(h4 * 4, 'decoder norms'), zSums: this.own(h4 * 4, 'z column sums') };
  }

  static create(ctx: GpuContext, shape: SaeShape, lambda: number, dataset: Dataset, options: GpuTopKOptions = {}): Promise<GpuReluL1Autoencoder> {
    return GpuModel.build(ctx, 'the GPU ReLU-L1 autoencoder', () => new GpuReluL1Autoencoder(ctx, shape, lambda, dataset, options), options.batch);
  }

  setLambda(lambda: number): void {
    if (!(lambda >= 0)) throw new RangeError(`λ = ${lambda} must be ≥ 0`);
    // The training loop sets λ after every group of steps; past its warm-up it no longer changes.
    if (lambda === this.lambda) return;
    this.lambda = lambda;
    this.refreshPrograms();
  }

  async evaluate(): Promise<GpuReluL1Evaluation> {
    const { cost } = await this.evaluateAndRead('ReLU-L1 autoencoder cost and gradient');
    return { cost: cost[0], parts: { reconstruction: cost[1], l1: cost[3] } };
  }


  protected stepDefinitions(geometry: PieceGeometry): StepDefinition[] {
    const { inputs: d, latents: h } = this.shape;
    const d4 = roundUp4(d);
    const [L, buffer] = [this.layout, this.buffers];
    const kit: LayerKit = { config: this.config, geometry, scratch: buffer };
    const x = geometry.dataRows(buffer.x, d4);
    const z = whole(buffer.z);
    const noDecay = () => 0;
    // The model's scale is half saeCost's: the penalty's λ is halved with it.
    const halfLambda = () => this.lambda / 2;
    const steps: StepDefinition[] = [
      padWeights({ rows: d, cols: h, offset: L.W1 }, buffer.wEncPadded),
      padWeights({ rows: h, cols: d, offset: L.W2 }, buffer.wDecPadded),
      { make: () => decoderNormsProgram('columnNorms', { latents: h, width: d, wOffset: L.W2 }), buffers: (t) => ({ w: t, norms: buffer.norms }) },
    ];
    for (let p = 0; p < geometry.pieces; p++) {
      const count = (b: Batch) => geometry.piece(b, p).count;
      steps.push(
        denseForward(kit, p, { input: x, inputs: d, weights: buffer.wEncPadded, output: z, outputs: h, activation: 'relu', biasOffset: L.b1 }),
        ...columnMean(kit, p, { src: z, cols: h, out: buffer.zSums, outOffset: 0, mean: false }),
        denseForward(kit, p, { input: fromRow0(z), inputs: h, weights: buffer.wDecPadded, output: whole(buffer.xHat), outputs: d, activation: 'linear', biasOffset: L.b2 }),
        ...reconstructionDelta(kit, p, {
          output: whole(buffer.xHat),
          data: x,
          size: d,
          activation: 'linear',
          delta: buffer.deltaOut,
          squaredErrorPartials: buffer.squaredErrorPartials,
          squaredErrorTotals: buffer.squaredErrorTotals,
          biasGradient: L.b2,
        }),
        ...denseBackward(kit, p, { input: fromRow0(z), inputs: h, delta: buffer.deltaOut, outputs: d, weights: buffer.wDecPadded, weightGradient: L.W2, lambda: noDecay, backprop: buffer.backprop }),
        {
          make: (b) => l1Program('encoderDelta', { rows: count(b), latents: h, lambda: halfLambda() }),
          buffers: () => ({ z: buffer.z, norms: buffer.norms, backprop: buffer.backprop, delta: buffer.deltaPre }),
        },
        ...columnMean(kit, p, { src: whole(buffer.deltaPre), cols: h, out: 'gradient', outOffset: L.b1, mean: true }),
        ...denseBackward(kit, p, { input: x, inputs: d, delta: buffer.deltaPre, outputs: h, weights: buffer.wEncPadded, weightGradient: L.W1, lambda: noDecay }),
      );
    }
    steps.push(
      {
        make: (b) => l1Program('decoderGradient', { rows: b.count, latents: h, width: d, wOffset: L.W2, gOffset: L.W2, lambda: halfLambda(), scale: 1 / b.count }),
        buffers: (t, g) => ({ w: t, norms: buffer.norms, zSums: buffer.zSums, grad: g }),
      },
      ...this.reconstructionCost(),
      {
        make: (b) => l1Program('addPenalty', { rows: b.count, latents: h, lambda: halfLambda(), scale: 1 / b.count }),
        buffers: () => ({ zColumnSums: buffer.zSums, norms: buffer.norms, cost: this.costBuffer }),
      },
    );
    return steps;
  }
}
