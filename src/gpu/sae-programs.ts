/**
 * The kernels of the sparse autoencoders of current practice as KernelPrograms (see ./programs.ts
 * for the contract): TopK and BatchTopK selection, the decoder on TopK's sparse form, the decoder
 * norms' three steps and the L1 penalty with decoder norms. Their float64 twins are in
 * src/reference/sae.ts; the checks against them in ./sae-checks.ts.
 *
 * Selection kernels copy or zero values and never round: their chainLength is 0, and a check
 * compares them exactly.
 */
import auxKDeltaSource from '../../shaders/auxk_delta.wgsl?raw';
import batchTopKSource from '../../shaders/batch_topk.wgsl?raw';
import centerRowsSource from '../../shaders/center_rows.wgsl?raw';
import decoderNormsSource from '../../shaders/decoder_norms.wgsl?raw';
import l1PenaltySource from '../../shaders/l1_penalty.wgsl?raw';
import latentFiringSource from '../../shaders/latent_firing.wgsl?raw';
import sparseBackwardSource from '../../shaders/sparse_backward.wgsl?raw';
import sparseDecodeSource from '../../shaders/sparse_decode.wgsl?raw';
import topKSource from '../../shaders/topk.wgsl?raw';
import topKRowsSource from '../../shaders/topk_rows.wgsl?raw';
import type { KernelConfig } from './adapter';
import { CHUNK_ROWS, grid1d, namedUniforms, roundUp4, USES, type KernelProgram } from './programs';
import type { ShaderSource } from './pipelines';

export const SAE_SHADERS = {
  topK: { file: 'shaders/topk.wgsl', code: topKSource },
  topKRows: { file: 'shaders/topk_rows.wgsl', code: topKRowsSource },
  batchTopK: { file: 'shaders/batch_topk.wgsl', code: batchTopKSource },
  sparseDecode: { file: 'shaders/sparse_decode.wgsl', code: sparseDecodeSource },
  sparseBackward: { file: 'shaders/sparse_backward.wgsl', code: sparseBackwardSource },
  decoderNorms: { file: 'shaders/decoder_norms.wgsl', code: decoderNormsSource },
  l1Penalty: { file: 'shaders/l1_penalty.wgsl', code: l1PenaltySource },
  centerRows: { file: 'shaders/center_rows.wgsl', code: centerRowsSource },
  auxKDelta: { file: 'shaders/auxk_delta.wgsl', code: auxKDeltaSource },
  latentFiring: { file: 'shaders/latent_firing.wgsl', code: latentFiringSource },
} as const satisfies Record<string, ShaderSource>;

/** Threads of a selection workgroup: one per bin of the 8-bit radix histogram. */
export const SELECT_WORKGROUP = 256;

/** A workgroup per item (row, latent, block), on a grid within the per-dimension limit. */
function workgroupPerItem(count: number): { dispatch: [number, number, number]; gridWidth: number } {
  return grid1d(count, 1);
}

// ---------------------------------------------------------------------------------------------
// TopK.

export interface TopKSpec {
  rows: number;
  /** Latents per row (the logical width) and the stored row length (a multiple of 4 ≥ cols). */
  cols: number;
  ld?: number;
  k: number;
  /** Also write each row's k kept columns (increasing) and values: indices (u32), values (f32), rows × k. */
  sparse?: boolean;
  /**
   * Only the columns flagged (u32 ≠ 0) in `eligible` are candidates, as AuxK's dead latents; a row
   * with fewer than k keeps them all (its sparse form padded with (0, 0) pairs).
   */
  masked?: boolean;
  /**
   * 'workgroup' (default): a 256-thread workgroup per row (topk.wgsl), for GPUs; 'thread': one
   * thread per row, no barrier (topk_rows.wgsl), for CPUs' software adapters (topKVariantFor).
   */
  variant?: TopKVariant;
}

export type TopKVariant = 'workgroup' | 'thread';

/**
 * The row-wise top-k for an adapter's kernel config: 'thread' on software adapters (lane groups of
 * a CPU's SIMD width), where the workgroup kernel's barriers cost ~4 ms a row on lavapipe;
 * 'workgroup' on GPUs, where a row of 8,192 latents wants more than one thread.
 */
export function topKVariantFor(config: Pick<KernelConfig, 'laneGroup'>): TopKVariant {
  return config.laneGroup <= 8 ? 'thread' : 'workgroup';
}

/** Threads per workgroup of the thread-per-row top-k: a CPU's SIMD width (lavapipe's 8 lanes). */
export const TOPK_ROWS_WORKGROUP = 8;

/**
 * Row-wise TopK then ReLU, in place on z (rows × ld): a radix select on the float bits, for any k;
 * by default one workgroup per row (shaders/topk.wgsl), O(cols/256 + log 256) steps a row; with
 * variant 'thread' one thread per row (shaders/topk_rows.wgsl; ld a multiple of 4), nine passes
 * over the row, the same selection bit for bit. Bindings: z,
 * indices, values (unread and unwritten without `sparse`), eligible (cols u32s, unread without
 * `masked`); an unused one may be any buffer that is not z.
 */
export function topKProgram(spec: TopKSpec): KernelProgram {
  const ld = spec.ld ?? roundUp4(spec.cols);
  if (!(Number.isInteger(spec.k) && spec.k >= 1 && spec.k <= spec.cols)) throw new RangeError(`top-k: k = ${spec.k} must be in [1, ${spec.cols}]`);
  if (ld < spec.cols) throw new RangeError(`top-k: row stride ${ld} < ${spec.cols} columns`);
  const name = `top-k${spec.masked ? ' among the eligible' : ''}${spec.sparse ? ' (+ sparse form)' : ''}`;
  const thread = spec.variant === 'thread';
  if (thread && ld % 4 !== 0) throw new RangeError(`top-k (thread per row): row stride ${ld} must be a multiple of 4`);
  const wg = thread ? TOPK_ROWS_WORKGROUP : SELECT_WORKGROUP;
  const { dispatch, gridWidth } = thread ? grid1d(spec.rows, wg) : workgroupPerItem(spec.rows);
  return {
    name: thread ? `${name}, a thread per row` : name,
    shader: thread ? SAE_SHADERS.topKRows : SAE_SHADERS.topK,
    entryPoint: 'main',
    constants: { WG: wg, SPARSE: spec.sparse ?? false, MASKED: spec.masked ?? false },
    ...USES({ z: 'storage', indices: 'storage', values: 'storage', eligible: 'read-only-storage' }),
    workgroupSize: [wg, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['cols', 'u32', spec.cols],
      ['ld', 'u32', ld],
      ['k', 'u32', spec.k],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// BatchTopK.

/** Entries of z a block of the batch selection covers: one workgroup of 256 threads × 16. */
export const BATCH_SELECT_PER_THREAD = 16;
export const BATCH_SELECT_BLOCK = SELECT_WORKGROUP * BATCH_SELECT_PER_THREAD;

/**
 * The state buffer of a batch selection (shaders/batch_topk.wgsl, struct SelectState), in u32s:
 * prefix, mask, remaining, minPositive, threshold (f32), then the 256-bin histogram. The running
 * threshold at THRESHOLD_INDEX persists between batches.
 */
export const BATCH_SELECT_STATE_WORDS = 5 + 256;
export const THRESHOLD_INDEX = 4;
export const MIN_POSITIVE_INDEX = 3;

export function batchSelectBlocks(rows: number, cols: number): number {
  return Math.max(1, Math.ceil((rows * cols) / BATCH_SELECT_BLOCK));
}

export interface BatchTopKSpec {
  rows: number;
  cols: number;
  ld?: number;
  /** Kept per example on average: k·rows in all. */
  k: number;
  /** α of the running threshold θ ← (1 − α)θ + α·(smallest positive kept). */
  rate: number;
}

/**
 * BatchTopK then ReLU in place on z, and the running threshold's update, as the programs to run
 * in order: reset, 4 × (histogram, selectDigit), tieCounts, apply, updateThreshold. Bindings
 * (by each program's names): state (BATCH_SELECT_STATE_WORDS u32s), z, blockTies (one u32 per
 * batchSelectBlocks).
 */
export function batchTopKPrograms(spec: BatchTopKSpec): KernelProgram[] {
  const { rows, cols, k } = spec;
  const ld = spec.ld ?? roundUp4(cols);
  if (!(Number.isInteger(k) && k >= 1 && k <= cols)) throw new RangeError(`batch top-k: k = ${k} must be in [1, ${cols}]`);
  if (rows * cols >= 2 ** 32) throw new RangeError(`batch top-k: ${rows} × ${cols} entries exceed u32 indices`);
  const blocks = batchSelectBlocks(rows, cols);
  const grid = workgroupPerItem(blocks);
  const program = (entryPoint: string, name: string, bindings: Parameters<typeof USES>[0], dispatch: readonly [number, number, number], shift = 0): KernelProgram => ({
    name: `batch top-k: ${name}`,
    shader: SAE_SHADERS.batchTopK,
    entryPoint,
    constants: { WG: SELECT_WORKGROUP, PER_THREAD: BATCH_SELECT_PER_THREAD },
    ...USES(bindings),
    workgroupSize: [entryPoint === 'updateThreshold' ? 1 : SELECT_WORKGROUP, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', rows],
      ['cols', 'u32', cols],
      ['ld', 'u32', ld],
      ['total', 'u32', k * rows],
      ['shift', 'u32', shift],
      ['blocks', 'u32', blocks],
      ['gridWidth', 'u32', grid.gridWidth],
      ['rate', 'f32', spec.rate],
    ]),
    chainLength: 0,
  });
  const one = [1, 1, 1] as const;
  const programs = [program('reset', 'reset', { state: 'storage' }, one)];
  for (const shift of [24, 16, 8, 0]) {
    programs.push(
      program('histogram', `histogram of bits ${shift}–${shift + 7}`, { state: 'storage', z: 'storage' }, grid.dispatch, shift),
      program('selectDigit', `digit ${shift / 8}`, { state: 'storage' }, one, shift),
    );
  }
  programs.push(
    program('tieCounts', 'ties per block', { state: 'storage', z: 'storage', blockTies: 'storage' }, grid.dispatch),
    program('apply', 'apply', { state: 'storage', z: 'storage', blockTies: 'storage' }, grid.dispatch),
    program('updateThreshold', 'running threshold', { state: 'storage' }, one),
  );
  return programs;
}

// ---------------------------------------------------------------------------------------------
// The decoder on the sparse form.

export const SPARSE_DECODE_WORKGROUP = 64;
/** vec4s of the width per thread of sparse_decode.wgsl and sparse_backward.wgsl's weightGradients (their C4). */
export const SPARSE_GRADIENT_VEC4S = 4;

/**
 * x̂ = bias + Σ_j values[b, j]·W[indices[b, j], :] (shaders/sparse_decode.wgsl) for rows × k
 * (index, value) pairs and a padded latents × roundUp4(width) decoder. Bindings: indices, values,
 * w (vec4), bias (f32, at biasOffset), out (vec4, rows × roundUp4(width)).
 */
export function sparseDecodeProgram(spec: { rows: number; k: number; width: number; biasOffset: number }): KernelProgram {
  const cols4 = roundUp4(spec.width) / 4;
  // A thread per example and SPARSE_GRADIENT_VEC4S vec4s of outputs (the shader's C4).
  const { dispatch, gridWidth } = grid1d(spec.rows * Math.ceil(cols4 / SPARSE_GRADIENT_VEC4S), SPARSE_DECODE_WORKGROUP);
  return {
    name: 'sparse decode',
    shader: SAE_SHADERS.sparseDecode,
    entryPoint: 'main',
    constants: { WG: SPARSE_DECODE_WORKGROUP },
    ...USES({ indices: 'read-only-storage', values: 'read-only-storage', w: 'read-only-storage', bias: 'read-only-storage', out: 'storage' }),
    workgroupSize: [SPARSE_DECODE_WORKGROUP, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['k', 'u32', spec.k],
      ['width', 'u32', spec.width],
      ['cols4', 'u32', cols4],
      ['biasOffset', 'u32', spec.biasOffset],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: spec.k + 1,
  };
}

/**
 * Whether a TopK step decodes and back-propagates on z's sparse form (sparse_decode.wgsl,
 * sparse_backward.wgsl) or with the dense products: sparse when at most 1 latent in 8 is kept.
 * Measured on lavapipe with AuxK (bench/sae-profile.ts, the two paths alternating; bench/README.md):
 * at 64 inputs × 512 latents the sparse evaluation is the faster at k = 5, 32 and (a little) 64
 * (1/8), the dense one at k = 128; at 768 × 8192, k = 32, sparse is ~4× faster.
 * The dense products' cost does not fall with k; the sparse steps' grows with it.
 */
export function sparseDecoderFor(k: number, latents: number): boolean {
  return 8 * k <= latents;
}

export type SparseBackwardStep = 'backprop' | 'buildLists' | 'weightGradients' | 'decoderBias';

export interface SparseBackwardSpec {
  /** Rows of the piece (a latent's list capacity), kept pairs per row (backprop), latents and z's row stride. */
  rows: number;
  k?: number;
  latents: number;
  ldz?: number;
  /** d, the inputs. */
  width: number;
  /** θ's layout (the gradient's is the same): W1, b1, W2, b2. */
  offsets?: { W1: number; b1: number; W2: number; b2: number };
  /** 1/m of the whole batch (weightGradients), and whether to add to the gradient instead of writing it. */
  scale?: number;
  accumulate?: boolean;
}

/**
 * One step of the TopK SAE's backward pass on its sparse form (shaders/sparse_backward.wgsl; see
 * its header). Bindings: backprop: indices, values (rows × k), wDec (padded latents × roundUp4(width)),
 * deltaOut (rows × roundUp4(width)), deltaPre (rows × ldz); buildLists: z, lists (latents × rows
 * u32), counts (latents u32); weightGradients: zKept, rowLists, rowCounts, deltaRows (δ_out),
 * deltaKept (δ_pre), xc, grad; decoderBias: theta, biasGrad (the gradient).
 */
export function sparseBackwardProgram(step: SparseBackwardStep, spec: SparseBackwardSpec): KernelProgram {
  const ldz = spec.ldz ?? roundUp4(spec.latents);
  const cols4 = roundUp4(spec.width) / 4;
  const k = spec.k ?? 0;
  // weightGradients: a thread per latent and SPARSE_GRADIENT_VEC4S vec4s of the width.
  const items = { backprop: spec.rows * k, buildLists: spec.latents, weightGradients: spec.latents * Math.ceil(cols4 / SPARSE_GRADIENT_VEC4S), decoderBias: spec.width }[step];
  const { dispatch, gridWidth } = grid1d(items, SPARSE_DECODE_WORKGROUP);
  const bindings = {
    backprop: { indices: 'read-only-storage', values: 'read-only-storage', wDec: 'read-only-storage', deltaOut: 'read-only-storage', deltaPre: 'storage' },
    buildLists: { z: 'read-only-storage', lists: 'storage', counts: 'storage' },
    weightGradients: { zKept: 'read-only-storage', rowLists: 'read-only-storage', rowCounts: 'read-only-storage', deltaRows: 'read-only-storage', deltaKept: 'read-only-storage', xc: 'read-only-storage', grad: 'storage' },
    decoderBias: { theta: 'read-only-storage', biasGrad: 'storage' },
  } as const;
  const o = spec.offsets ?? { W1: 0, b1: 0, W2: 0, b2: 0 };
  return {
    name: `sparse backward: ${step}`,
    shader: SAE_SHADERS.sparseBackward,
    entryPoint: step,
    constants: { WG: SPARSE_DECODE_WORKGROUP },
    ...USES(bindings[step]),
    workgroupSize: [SPARSE_DECODE_WORKGROUP, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['k', 'u32', k],
      ['latents', 'u32', spec.latents],
      ['ldz', 'u32', ldz],
      ['width', 'u32', spec.width],
      ['cols4', 'u32', cols4],
      ['w1', 'u32', o.W1],
      ['b1', 'u32', o.b1],
      ['w2', 'u32', o.W2],
      ['b2', 'u32', o.b2],
      ['scale', 'f32', spec.scale ?? 1],
      ['accumulate', 'u32', spec.accumulate ? 1 : 0],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: { backprop: spec.width, buildLists: 0, weightGradients: spec.rows + 1, decoderBias: spec.latents + 1 }[step],
  };
}

// ---------------------------------------------------------------------------------------------
// Decoder norms.

export const NORMS_WORKGROUP = 64;

export type DecoderNormStep = 'columnNorms' | 'removeParallel' | 'renormalize';

export interface DecoderNormsSpec {
  latents: number;
  width: number;
  /** W_dec's offset in θ (the buffer bound as w or weights), and its gradient's in the gradient. */
  wOffset: number;
  gOffset?: number;
}

/**
 * One step on the latents × width block W_dec (shaders/decoder_norms.wgsl). Bindings:
 * columnNorms: w (θ), norms (latents f32); removeParallel: w (θ), grad; renormalize: weights (θ,
 * in place).
 */
export function decoderNormsProgram(step: DecoderNormStep, spec: DecoderNormsSpec): KernelProgram {
  const { dispatch, gridWidth } = workgroupPerItem(spec.latents);
  const bindings = {
    columnNorms: { w: 'read-only-storage', norms: 'storage' },
    removeParallel: { w: 'read-only-storage', grad: 'storage' },
    renormalize: { weights: 'storage' },
  } as const;
  return {
    name: `decoder ${step}`,
    shader: SAE_SHADERS.decoderNorms,
    entryPoint: step,
    constants: { WG: NORMS_WORKGROUP },
    ...USES(bindings[step]),
    workgroupSize: [NORMS_WORKGROUP, 1, 1],
    dispatch,
    ...namedUniforms([
      ['latents', 'u32', spec.latents],
      ['width', 'u32', spec.width],
      ['wOffset', 'u32', spec.wOffset],
      ['gOffset', 'u32', spec.gOffset ?? 0],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: Math.ceil(spec.width / NORMS_WORKGROUP) + Math.log2(NORMS_WORKGROUP),
  };
}

// ---------------------------------------------------------------------------------------------
// The L1 penalty with decoder norms.

export const L1_WORKGROUP = 64;

export type L1Step = 'penaltyPerExample' | 'encoderDelta' | 'decoderGradient' | 'addPenalty';

export interface L1Spec {
  /** Examples, latents and z's row stride. */
  rows: number;
  latents: number;
  ld?: number;
  /** d, W_dec's row length, with W_dec's offset in θ and in the gradient (decoderGradient). */
  width?: number;
  wOffset?: number;
  gOffset?: number;
  lambda?: number;
  /** 1/B (decoderGradient). */
  scale?: number;
}

/**
 * One part of the L1 term (shaders/l1_penalty.wgsl). Bindings: penaltyPerExample: z, norms,
 * perExample (rows f32); encoderDelta: z, norms, backprop, delta (rows × ld); decoderGradient: w
 * (θ), norms, zSums (latents f32), grad; addPenalty: zColumnSums, norms, cost (a model's 4 floats:
 * [3] = λ·scale·Σ zColumnSums·norms, added to [0]).
 */
export function l1Program(step: L1Step, spec: L1Spec): KernelProgram {
  const ld = spec.ld ?? roundUp4(spec.latents);
  const width = spec.width ?? 0;
  const grid =
    step === 'penaltyPerExample'
      ? workgroupPerItem(spec.rows)
      : step === 'addPenalty'
        ? workgroupPerItem(1)
        : grid1d(step === 'encoderDelta' ? spec.rows * ld : spec.latents * width, L1_WORKGROUP);
  const bindings = {
    penaltyPerExample: { z: 'read-only-storage', norms: 'read-only-storage', perExample: 'storage' },
    encoderDelta: { z: 'read-only-storage', norms: 'read-only-storage', backprop: 'read-only-storage', delta: 'storage' },
    decoderGradient: { w: 'read-only-storage', norms: 'read-only-storage', zSums: 'read-only-storage', grad: 'storage' },
    addPenalty: { zColumnSums: 'read-only-storage', norms: 'read-only-storage', cost: 'storage' },
  } as const;
  return {
    name: `L1 ${step}`,
    shader: SAE_SHADERS.l1Penalty,
    entryPoint: step,
    constants: { WG: L1_WORKGROUP },
    ...USES(bindings[step]),
    workgroupSize: [L1_WORKGROUP, 1, 1],
    dispatch: grid.dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['cols', 'u32', spec.latents],
      ['ld', 'u32', ld],
      ['width', 'u32', width],
      ['wOffset', 'u32', spec.wOffset ?? 0],
      ['gOffset', 'u32', spec.gOffset ?? 0],
      ['gridWidth', 'u32', grid.gridWidth],
      ['lambda', 'f32', spec.lambda ?? 0],
      ['scale', 'f32', spec.scale ?? 1],
    ]),
    chainLength: step === 'penaltyPerExample' || step === 'addPenalty' ? Math.ceil(spec.latents / L1_WORKGROUP) + Math.log2(L1_WORKGROUP) : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// The centred input of a TopK SAE.

export const CENTER_WORKGROUP = 64;

/**
 * out = x − b row by row (shaders/center_rows.wgsl), b at biasOffset in θ, x from row `xRow`.
 * Bindings: x (vec4), bias (θ), out (vec4, rows × roundUp4(cols)).
 */
export function centerRowsProgram(spec: { rows: number; cols: number; xRow?: number; biasOffset: number }): KernelProgram {
  const cols4 = roundUp4(spec.cols) / 4;
  const { dispatch, gridWidth } = grid1d(spec.rows * cols4, CENTER_WORKGROUP);
  return {
    name: 'centre rows',
    shader: SAE_SHADERS.centerRows,
    entryPoint: 'main',
    constants: { WG: CENTER_WORKGROUP },
    ...USES({ x: 'read-only-storage', bias: 'read-only-storage', out: 'storage' }),
    workgroupSize: [CENTER_WORKGROUP, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['cols', 'u32', spec.cols],
      ['cols4', 'u32', cols4],
      ['xOffset', 'u32', (spec.xRow ?? 0) * cols4],
      ['biasOffset', 'u32', spec.biasOffset],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// AuxK's output delta.

/**
 * δ_aux = α·(ê + δ_out) and the chunks' Σ(ê + δ_out)² (shaders/auxk_delta.wgsl): ê − e with the
 * residual e = x − x̂ = −δ_out held constant. Bindings: eHat, deltaOut (vec4, rows × cols4),
 * deltaAux (vec4, likewise), squaredError (vec4, chunkCount(rows) × cols4).
 */
export function auxKDeltaProgram(spec: { rows: number; cols4: number; coefficient: number }, laneGroup: number): KernelProgram {
  const dispatch: [number, number, number] = [Math.ceil(spec.cols4 / laneGroup), Math.max(1, Math.ceil(spec.rows / CHUNK_ROWS)), 1];
  return {
    name: 'AuxK delta',
    shader: SAE_SHADERS.auxKDelta,
    entryPoint: 'main',
    constants: { WG: laneGroup, CHUNK_ROWS },
    ...USES({ eHat: 'read-only-storage', deltaOut: 'read-only-storage', deltaAux: 'storage', squaredError: 'storage' }),
    workgroupSize: [laneGroup, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['cols4', 'u32', spec.cols4],
      ['coefficient', 'f32', spec.coefficient],
    ]),
    chainLength: CHUNK_ROWS / 4 + 2,
  };
}

// ---------------------------------------------------------------------------------------------
// Dead-latent tracking.

export const FIRING_WORKGROUP = 64;

/**
 * since[i] ← 0 where latent i fired in the batch's z (rows × ld), else since[i] + rows, saturating
 * (shaders/latent_firing.wgsl): a training loop's dead-latent window without a read-back per step.
 * Bindings: z (f32), since (latents u32).
 */
export function latentFiringProgram(spec: { rows: number; latents: number; ld?: number }): KernelProgram {
  const { dispatch, gridWidth } = grid1d(spec.latents, FIRING_WORKGROUP);
  return {
    name: 'latent firing',
    shader: SAE_SHADERS.latentFiring,
    entryPoint: 'main',
    constants: { WG: FIRING_WORKGROUP },
    ...USES({ z: 'read-only-storage', since: 'storage' }),
    workgroupSize: [FIRING_WORKGROUP, 1, 1],
    dispatch,
    ...namedUniforms([
      ['rows', 'u32', spec.rows],
      ['latents', 'u32', spec.latents],
      ['ld', 'u32', spec.ld ?? roundUp4(spec.latents)],
      ['gridWidth', 'u32', gridWidth],
    ]),
    chainLength: 0,
  };
}
