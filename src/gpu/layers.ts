/**
 * Step builders for the layers of a network: each returns the steps (kernel programs and the
 * buffers they bind) of one layer's part of an evaluation, for piece p of a batch, so a network
 * (./autoencoder.ts, ./classifier.ts) is a list of these calls. Every step has its float64 twin
 * in src/reference/ops.ts.
 *
 *   padWeights          Wp = θ's block, padded                          (the matmuls read vec4s)
 *   denseForward        a = act(a_below·Wp + b)                         matmul NN + epilogue
 *   columnMean          ρ̂ (or any column mean) of a layer's outputs     column sums → sum slices
 *   reconstructionDelta δ_out = (a − x)·σ′ or a − x; ∇b; Σ(a − x)²      output delta → sum slices
 *   softmaxDelta        δ_out = P − Y; the cross-entropy's partials     softmax
 *   hiddenDelta         δ = (backprop [+ sparsity])·act′; ∇b            hidden delta → sum slices
 *   denseBackward       ∇W = a_belowᵀδ/m + λW; backprop = δ·Wpᵀ         matmul TN split-K → sum slices; NT
 *   reconstructionCost, softmaxCost: Σ W², then the cost and its parts
 *
 * Fused (kit.fused: a matmul variant with fused epilogues, programs.ts hasFusedEpilogues), the
 * elementwise step after a product and the first level of its column sums ride in the product's
 * epilogue (shaders/matmul_subgroups_fused.wgsl), and only the second level is a dispatch:
 *   denseForwardSummed  a = act(a_below·Wp + b) and its column sums     fused matmul NN → sum slices
 *   outputLayer         a_out, δ_out, ∇b_out, Σ(a − x)²                  fused matmul NN → sum slices ×2
 *   backpropDelta       δ = (δ_above·Wp_aboveᵀ [+ sparsity])·act′; ∇b     fused matmul NT → sum slices
 * The float64 twin stays step by step; the fused chains' bounds are in src/gpu/tolerance.ts.
 *
 * Matrices are row-major with their column counts padded to multiples of 4 (n4); offsets into
 * θ and the gradient are in floats. A layer's padded weights are inputs4 × outputs4.
 */
import type { Activation, OutputActivation } from '../reference/ops';
import type { KernelConfig } from './adapter';
import type { Binding, PieceGeometry } from './model';
import {
  chunkCount,
  classifierCostProgram,
  fusedMatmulProgram,
  type FusedEpilogue,
  columnSumsProgram,
  costProgram,
  hiddenDeltaProgram,
  matmulProgram,
  outputDeltaProgram,
  padMatrixPairProgram,
  padMatrixProgram,
  roundUp4,
  softmaxPartialCount,
  SOFTMAX_WORKGROUP,
  softmaxProgram,
  sumSlicesMultiProgram,
  sumSlicesProgram,
  MAX_SLICE_SUM_TARGETS,
  sumSquaresPartialCount,
  sumSquaresProgram,
  type MatmulSpec,
  type SliceSumTarget,
  type SumSlicesSpec,
} from './programs';
import type { Batch, StepDefinition } from './steps';

/** What every builder needs: the kernel variants, how this step list walks the data, and the model's scratch buffers. */
export interface LayerKit {
  config: KernelConfig;
  geometry: PieceGeometry;
  /** The first level of column reductions (chunks × the widest padded row) and split-K slices of ∇W (the largest). */
  scratch: { columnPartials: GPUBuffer; splitPartials: GPUBuffer };
  /**
   * Present when the steps are fused: per-tile partial sums (⌈rows/TILE_ROWS⌉ × the widest padded
   * row, three times: the output layer's two and a hidden layer's, which wait together for one
   * sumSlicesTogether) and a spare writable buffer for the bindings a fused kind does not use.
   */
  fused?: { partials: GPUBuffer; partials2: GPUBuffer; partials3: GPUBuffer; spare: GPUBuffer };
}

/** Rows a step reads: the binding and the row of the piece's first example in it. */
export type RowsOf = (b: Batch, p: number) => { binding: Binding; row: number };
/** A buffer a step writes or reads from its first row. */
export type BindingOf = (b: Batch, p: number) => Binding;

/** A buffer of one piece's rows, bound whole. */
export const whole =
  (buffer: GPUBuffer): BindingOf =>
  () =>
    buffer;

/** A view read from its first row. */
export const fromRow0 =
  (view: BindingOf): RowsOf =>
  (b, p) => ({ binding: view(b, p), row: 0 });

/** Where a reduction's result goes: a buffer of the model's, or the gradient being written. */
export type Target = GPUBuffer | 'gradient';

const targetOf = (target: Target, grad: GPUBuffer): GPUBuffer => (target === 'gradient' ? grad : target);

function matmul(kit: LayerKit, spec: MatmulSpec) {
  const { matmul: variant, subgroupSize, tiling } = kit.config;
  return matmulProgram(spec, variant, subgroupSize, tiling);
}

/** The padded copies of two weight blocks of θ in one dispatch (padWeights twice). */
export function padWeightPair(blocks: readonly [{ rows: number; cols: number; offset: number }, { rows: number; cols: number; offset: number }], dst: readonly [GPUBuffer, GPUBuffer]): StepDefinition {
  const pad = (b: { rows: number; cols: number; offset: number }) => ({ rows: b.rows, cols: b.cols, outRows: roundUp4(b.rows), srcOffset: b.offset });
  return {
    make: () => padMatrixPairProgram([pad(blocks[0]), pad(blocks[1])]),
    buffers: (t) => ({ src: t, dst0: dst[0], dst1: dst[1] }),
  };
}

/**
 * A second-level reduction held back (a layer builder's `deferred` list) to run with the others
 * of its piece in one dispatch, sumSlicesTogether: its partials and what sumSlicesProgram would
 * be given for it.
 */
export interface DeferredSum {
  partials: GPUBuffer;
  target: (b: Batch) => SumSlicesSpec & { accumulators: 4 | 16 };
  out: Target;
}

/**
 * The piece's deferred reductions (at most MAX_SLICE_SUM_TARGETS) in one dispatch, each as its
 * own sum slices would make it (the same bits), after every step that wrote their partials.
 */
export function sumSlicesTogether(deferred: readonly DeferredSum[]): StepDefinition {
  if (deferred.length > MAX_SLICE_SUM_TARGETS) throw new Error(`internal: ${deferred.length} deferred reductions, at most ${MAX_SLICE_SUM_TARGETS} in one dispatch`);
  const totals = deferred.filter((d) => d.out !== 'gradient').map((d) => d.out as GPUBuffer);
  if (new Set(totals).size > 1) throw new Error('internal: deferred reductions write the gradient and at most one other buffer');
  const list = [...deferred];
  return {
    make: (b) => sumSlicesMultiProgram(list.map((d): SliceSumTarget => ({ ...d.target(b), dest: d.out === 'gradient' ? 'out' : 'out2' }))),
    buffers: (t, g) => {
      const named: Record<string, GPUBuffer> = { w: t, out: g, out2: totals[0] ?? list[0].partials };
      for (let i = 0; i < MAX_SLICE_SUM_TARGETS; i++) named[`src${i}`] = (list[i] ?? list[0]).partials;
      return named;
    },
  };
}

/** The padded copy of a weight block of θ (rows × cols at `offset`). */
export function padWeights(block: { rows: number; cols: number; offset: number }, dst: GPUBuffer): StepDefinition {
  return {
    make: () => padMatrixProgram({ rows: block.rows, cols: block.cols, outRows: roundUp4(block.rows), srcOffset: block.offset }),
    buffers: (t) => ({ src: t, dst }),
  };
}

export interface DenseForward {
  input: RowsOf;
  inputs: number;
  weights: GPUBuffer;
  output: BindingOf;
  outputs: number;
  /** The bias (at `biasOffset` in θ) and activation of the epilogue; without, out = a·Wp. */
  activation?: Activation;
  biasOffset?: number;
}

/** a = act(a_below·Wp + b) for the piece's rows. */
export function denseForward(kit: LayerKit, p: number, layer: DenseForward): StepDefinition {
  const inputs4 = roundUp4(layer.inputs);
  const epilogue = layer.activation ? { activation: layer.activation, biasOffset: layer.biasOffset ?? 0, nValid: layer.outputs } : {};
  return {
    make: (b) =>
      matmul(kit, {
        M: kit.geometry.piece(b, p).count,
        N: roundUp4(layer.outputs),
        K: inputs4,
        transA: false,
        transB: false,
        aOffset: (layer.input(b, p).row * inputs4) / 4,
        ...epilogue,
      }),
    buffers: (t, _g, b) => ({ a: layer.input(b, p).binding, b: layer.weights, c: layer.output(b, p), bias: t }),
  };
}

/**
 * Column sums over the piece's rows (first level into `partials`), then this piece's share of
 * the batch's total added into `out` at `outOffset`: scaled by 1/m when `mean`.
 */
export function columnMean(
  kit: LayerKit,
  p: number,
  spec: { src: BindingOf; cols: number; out: Target; outOffset: number; mean: boolean },
): StepDefinition[] {
  const cols4 = roundUp4(spec.cols);
  const partials = kit.scratch.columnPartials;
  return [
    {
      make: (b) => columnSumsProgram({ rows: kit.geometry.piece(b, p).count, cols4: cols4 / 4 }, kit.config.laneGroup),
      buffers: (_t, _g, b) => ({ src: spec.src(b, p), partials }),
    },
    ...sumColumnPartials(kit, p, { ...spec, partials }),
  ];
}

type ColumnSumSpec = { cols: number; partials: GPUBuffer; out: Target; outOffset: number; mean: boolean; slices?: (rows: number) => number };

/** sumSlicesProgram's spec for the second level of a column reduction (sumColumnPartials). */
function columnSumSlices(kit: LayerKit, p: number, spec: ColumnSumSpec): (b: Batch) => SumSlicesSpec & { accumulators: 4 | 16 } {
  const ld = roundUp4(spec.cols);
  return (b) => ({
    rows: 1,
    cols: spec.cols,
    ld,
    sliceStride: ld,
    slices: (spec.slices ?? chunkCount)(kit.geometry.piece(b, p).count),
    outOffset: spec.outOffset,
    scale: spec.mean ? 1 / b.count : 1,
    accumulate: p > 0,
    // A fused matmul's tiles are many (⌈rows/TILE_ROWS⌉): 16 accumulators keep the chain short.
    accumulators: spec.slices ? 16 : 4,
  });
}

/**
 * The second level of a column reduction: this piece's chunks (or fused tiles) summed into `out`
 * (+= after the first piece); held back in `deferred` when given.
 */
function sumColumnPartials(kit: LayerKit, p: number, spec: ColumnSumSpec, deferred?: DeferredSum[]): StepDefinition[] {
  const target = columnSumSlices(kit, p, spec);
  if (deferred) {
    deferred.push({ partials: spec.partials, target, out: spec.out });
    return [];
  }
  return [
    {
      make: (b) => sumSlicesProgram(target(b)),
      buffers: (t, g) => ({ partials: spec.partials, w: t, out: targetOf(spec.out, g) }),
    },
  ];
}

export interface ReconstructionDelta {
  /** a_out, the reconstruction, and x, the data it reconstructs. */
  output: BindingOf;
  data: RowsOf;
  size: number;
  activation: OutputActivation;
  delta: GPUBuffer;
  /** Scratch for the first level of Σ(a − x)² (Σδ's goes to the kit's column partials). */
  squaredErrorPartials: GPUBuffer;
  /** Σ(a − x)² per column, over the batch. */
  squaredErrorTotals: GPUBuffer;
  /** ∇b_out's offset in the gradient. */
  biasGradient: number;
}

/** The reconstruction error's head: δ_out, ∇b_out = column means of δ_out, Σ(a − x)² per column. */
export function reconstructionDelta(kit: LayerKit, p: number, head: ReconstructionDelta): StepDefinition[] {
  const cols4 = roundUp4(head.size);
  return [
    {
      make: (b) => outputDeltaProgram({ rows: kit.geometry.piece(b, p).count, cols4: cols4 / 4, xOffset: (head.data(b, p).row * cols4) / 4, output: head.activation }, kit.config.laneGroup),
      buffers: (_t, _g, b) => ({
        a3: head.output(b, p),
        x: head.data(b, p).binding,
        delta3: head.delta,
        squaredError: head.squaredErrorPartials,
        deltaSum: kit.scratch.columnPartials,
      }),
    },
    ...sumColumnPartials(kit, p, { cols: head.size, partials: kit.scratch.columnPartials, out: 'gradient', outOffset: head.biasGradient, mean: true }),
    ...sumColumnPartials(kit, p, { cols: head.size, partials: head.squaredErrorPartials, out: head.squaredErrorTotals, outOffset: 0, mean: false }),
  ];
}

/** The softmax head: P = softmax(Z) row by row, δ_out = P − Y, the cross-entropy's partials (each piece's beside the previous pieces'). */
export function softmaxDelta(
  kit: LayerKit,
  p: number,
  head: { logits: BindingOf; labels: GPUBuffer; classes: number; delta: GPUBuffer; lossPartials: GPUBuffer },
): StepDefinition {
  const { geometry } = kit;
  return {
    make: (b) => softmaxProgram({ rows: geometry.piece(b, p).count, classes: head.classes, labelOffset: geometry.piece(b, p).start, partialOffset: (p * geometry.pieceRows) / SOFTMAX_WORKGROUP }),
    buffers: (_t, _g, b) => ({ z: head.logits(b, p), labels: head.labels, deltaOut: head.delta, partials: head.lossPartials }),
  };
}

export interface HiddenDelta {
  /** δ_above·Wp_aboveᵀ, as denseBackward left it. */
  backprop: GPUBuffer;
  activations: BindingOf;
  size: number;
  activation: Exclude<Activation, 'linear'>;
  /** The KL sparsity term's ρ and β (read at each refresh) and ρ̂; null for none. */
  sparsity: (() => { sparsityParam: number; beta: number }) | null;
  /** ρ̂ (not read without a sparsity term; any buffer will do then). */
  meanActivation: GPUBuffer;
  delta: GPUBuffer;
  /** ∇b's offset in the gradient. */
  biasGradient: number;
}

/** δ = (backprop [+ β(−ρ/ρ̂ + (1−ρ)/(1−ρ̂))])·act′(a) for a hidden layer, and ∇b = column means of δ. */
export function hiddenDelta(kit: LayerKit, p: number, layer: HiddenDelta): StepDefinition[] {
  return [
    {
      make: (b) =>
        hiddenDeltaProgram({ rows: kit.geometry.piece(b, p).count, hidden: layer.size, sparsity: layer.sparsity?.() ?? null, activation: layer.activation }, kit.config.laneGroup),
      buffers: (_t, _g, b) => ({ backprop: layer.backprop, a2: layer.activations(b, p), meanActivation: layer.meanActivation, delta2: layer.delta, deltaSum: kit.scratch.columnPartials }),
    },
    ...sumColumnPartials(kit, p, { cols: layer.size, partials: kit.scratch.columnPartials, out: 'gradient', outOffset: layer.biasGradient, mean: true }),
  ];
}

export interface DenseBackward {
  input: RowsOf;
  inputs: number;
  delta: GPUBuffer;
  outputs: number;
  weights: GPUBuffer;
  /** ∇W's offset in the gradient (θ's packing: inputs × outputs row-major). */
  weightGradient: number;
  /** The weight decay λ of this layer's gradient (read at each refresh). */
  lambda: () => number;
  /** Where δ·Wpᵀ goes for the layer below; absent for the first layer. */
  backprop?: GPUBuffer;
  /**
   * Add ∇W to what the gradient holds from the first piece on, without λW: a second path into
   * the same weights (AuxK's), after the first path's denseBackward. Absent: the first piece
   * writes ∇W.
   */
  accumulate?: boolean;
  /** The split-K slices' buffer (default the kit's): one of its own when the sum is deferred past another ∇W's product. */
  splitPartials?: GPUBuffer;
}

/**
 * ∇W = a_belowᵀδ/m + λW (split-K over the examples, then the slices summed: held back in
 * `deferred` when given), and δ·Wpᵀ for the layer below.
 */
export function denseBackward(kit: LayerKit, p: number, layer: DenseBackward, deferred?: DeferredSum[]): StepDefinition[] {
  const { geometry, config } = kit;
  const inputs4 = roundUp4(layer.inputs);
  const outputs4 = roundUp4(layer.outputs);
  const splitPartials = layer.splitPartials ?? kit.scratch.splitPartials;
  const target = (b: Batch): SumSlicesSpec & { accumulators: 4 } => ({
    rows: layer.inputs,
    cols: layer.outputs,
    ld: outputs4,
    sliceStride: inputs4 * outputs4,
    slices: Math.ceil(geometry.piece(b, p).count / config.splitK),
    outOffset: layer.weightGradient,
    wOffset: layer.weightGradient,
    scale: 1 / b.count,
    // λW once, with the first piece of the first path.
    lambda: p === 0 && !layer.accumulate ? layer.lambda() : 0,
    accumulate: p > 0 || layer.accumulate === true,
    accumulators: 4,
  });
  const steps: StepDefinition[] = [
    {
      make: (b) =>
        matmul(kit, { M: inputs4, N: outputs4, K: geometry.piece(b, p).count, transA: true, transB: false, aOffset: (layer.input(b, p).row * inputs4) / 4, kChunk: config.splitK }),
      buffers: (t, _g, b) => ({ a: layer.input(b, p).binding, b: layer.delta, c: splitPartials, bias: t }),
    },
  ];
  if (deferred) deferred.push({ partials: splitPartials, target, out: 'gradient' });
  else steps.push({ make: (b) => sumSlicesProgram(target(b)), buffers: (t, g) => ({ partials: splitPartials, w: t, out: g }) });
  const backprop = layer.backprop;
  if (backprop) {
    steps.push({
      make: (b) => matmul(kit, { M: geometry.piece(b, p).count, N: inputs4, K: outputs4, transA: false, transB: true }),
      buffers: (t) => ({ a: layer.delta, b: layer.weights, c: backprop, bias: t }),
    });
  }
  return steps;
}

/** Σ W² over θ's weight blocks (`count` floats from `offset`: the blocks must be contiguous). */
function weightSquares(weights: { offset: number; count: number }, partials: GPUBuffer): StepDefinition {
  return { make: () => sumSquaresProgram({ count: weights.count, srcOffset: weights.offset }), buffers: (t) => ({ src: t, partials }) };
}

/** [cost, reconstruction, weightDecay, sparsity] of an autoencoder, from its column totals, ΣW² and ρ̂. */
export function reconstructionCost(spec: {
  weights: { offset: number; count: number };
  weightPartials: GPUBuffer;
  squaredErrorTotals: GPUBuffer;
  size: number;
  hidden: number;
  meanActivation: GPUBuffer;
  /** λ, and ρ, β of the KL penalty (β ignored without it), read at each refresh. */
  params: () => { lambda: number; sparsityParam: number; beta: number };
  sparse: boolean;
  out: GPUBuffer;
}): StepDefinition[] {
  return [
    weightSquares(spec.weights, spec.weightPartials),
    {
      make: (b) =>
        costProgram({
          squaredErrorCount: spec.size,
          weightCount: sumSquaresPartialCount(spec.weights.count),
          hidden: spec.hidden,
          examples: b.count,
          ...spec.params(),
          sparse: spec.sparse,
        }),
      buffers: () => ({ squaredError: spec.squaredErrorTotals, weightSquares: spec.weightPartials, meanActivation: spec.meanActivation, out: spec.out }),
    },
  ];
}

/** [cost, crossEntropy, weightDecay, 0] of a softmax classifier: the cross-entropy partials and λ/2·ΣΘ². */
export function softmaxCost(spec: { weights: { offset: number; count: number }; weightPartials: GPUBuffer; lossPartials: GPUBuffer; lambda: () => number; out: GPUBuffer }): StepDefinition[] {
  return [
    weightSquares(spec.weights, spec.weightPartials),
    {
      make: (b) =>
        classifierCostProgram({ lossCount: softmaxPartialCount(b.count), weightCount: sumSquaresPartialCount(spec.weights.count), examples: b.count, lambda: spec.lambda() }),
      buffers: () => ({ losses: spec.lossPartials, weightSquares: spec.weightPartials, out: spec.out }),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Fused steps (kit.fused).

function fusedKit(kit: LayerKit): NonNullable<LayerKit['fused']> {
  if (!kit.fused) throw new Error('internal: a fused step needs the kit\'s fused scratch');
  return kit.fused;
}

function fusedMatmul(kit: LayerKit, spec: Parameters<typeof fusedMatmulProgram>[0]) {
  return fusedMatmulProgram(spec, kit.config.subgroupSize, kit.config.tiling);
}

/** Tiles (slices of fused partials) of a piece of `rows` rows. */
function fusedTiles(kit: LayerKit): (rows: number) => number {
  return (rows) => fusedMatmul(kit, { M: rows, N: 4, K: 4, transB: false, activation: 'linear', epilogue: { kind: 'column sums' } }).tiles;
}

/** denseForward, and the column means (or sums) of its output as columnMean makes them. */
export function denseForwardSummed(
  kit: LayerKit,
  p: number,
  layer: DenseForward & { activation: Activation },
  sums: { out: Target; outOffset: number; mean: boolean },
): StepDefinition[] {
  const f = fusedKit(kit);
  const inputs4 = roundUp4(layer.inputs);
  return [
    {
      make: (b) =>
        fusedMatmul(kit, {
          M: kit.geometry.piece(b, p).count, N: roundUp4(layer.outputs), K: inputs4, transB: false, aOffset: (layer.input(b, p).row * inputs4) / 4,
          activation: layer.activation, biasOffset: layer.biasOffset ?? 0, nValid: layer.outputs, epilogue: { kind: 'column sums' },
        }),
      buffers: (t, _g, b) => {
        const input = layer.input(b, p).binding;
        return { a: input, b: layer.weights, c: layer.output(b, p), bias: t, aux: input, rhoHat: t, out2: f.spare, partials: f.partials, partials2: f.partials2 };
      },
    },
    ...sumColumnPartials(kit, p, { cols: layer.outputs, partials: f.partials, ...sums, slices: fusedTiles(kit) }),
  ];
}

/**
 * The output layer and the reconstruction error's head in one product: a_out, δ_out, ∇b_out,
 * Σ(a − x)² per column (their sums held back in `deferred` when given).
 */
export function outputLayer(
  kit: LayerKit,
  p: number,
  layer: DenseForward & { activation: OutputActivation },
  head: Omit<ReconstructionDelta, 'output' | 'size' | 'activation' | 'squaredErrorPartials'>,
  deferred?: DeferredSum[],
): StepDefinition[] {
  const f = fusedKit(kit);
  const inputs4 = roundUp4(layer.inputs);
  const cols4 = roundUp4(layer.outputs);
  const epilogue = (b: Batch): FusedEpilogue => ({ kind: 'output delta', xOffset: (head.data(b, p).row * cols4) / 4 });
  return [
    {
      make: (b) =>
        fusedMatmul(kit, {
          M: kit.geometry.piece(b, p).count, N: cols4, K: inputs4, transB: false, aOffset: (layer.input(b, p).row * inputs4) / 4,
          activation: layer.activation, biasOffset: layer.biasOffset ?? 0, nValid: layer.outputs, epilogue: epilogue(b),
        }),
      buffers: (t, _g, b) => ({
        a: layer.input(b, p).binding, b: layer.weights, c: layer.output(b, p), bias: t,
        aux: head.data(b, p).binding, rhoHat: t, out2: head.delta, partials: f.partials, partials2: f.partials2,
      }),
    },
    ...sumColumnPartials(kit, p, { cols: layer.outputs, partials: f.partials, out: 'gradient', outOffset: head.biasGradient, mean: true, slices: fusedTiles(kit) }, deferred),
    ...sumColumnPartials(kit, p, { cols: layer.outputs, partials: f.partials2, out: head.squaredErrorTotals, outOffset: 0, mean: false, slices: fusedTiles(kit) }, deferred),
  ];
}

/**
 * δ_above·Wp_aboveᵀ made into this layer's δ in the product's epilogue (hiddenDelta's formula),
 * and ∇b = column means of δ: in place of denseBackward's backprop product and hiddenDelta.
 * Deferred, ∇b's tile sums go to the kit's third partials (the output layer's may still wait).
 */
export function backpropDelta(
  kit: LayerKit,
  p: number,
  above: { delta: GPUBuffer; outputs: number; weights: GPUBuffer },
  layer: Omit<HiddenDelta, 'backprop'>,
  deferred?: DeferredSum[],
): StepDefinition[] {
  const f = fusedKit(kit);
  const partials = deferred ? f.partials3 : f.partials;
  const size4 = roundUp4(layer.size);
  return [
    {
      make: (b) =>
        fusedMatmul(kit, {
          M: kit.geometry.piece(b, p).count, N: size4, K: roundUp4(above.outputs), transB: true, nValid: layer.size,
          epilogue: { kind: 'hidden delta', sparsity: layer.sparsity?.() ?? null, activation: layer.activation },
        }),
      buffers: (t, _g, b) => ({
        a: above.delta, b: above.weights, c: layer.delta, bias: t,
        aux: layer.activations(b, p), rhoHat: layer.meanActivation, out2: f.spare, partials, partials2: f.partials2,
      }),
    },
    ...sumColumnPartials(kit, p, { cols: layer.size, partials, out: 'gradient', outOffset: layer.biasGradient, mean: true, slices: fusedTiles(kit) }, deferred),
  ];
}
