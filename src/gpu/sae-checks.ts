/**
 * The SAE kernels (./sae-programs.ts) against their float64 twins (src/reference/sae.ts), in the
 * manner of ./checks.ts: the twins get exactly the float32 values the GPU saw.
 *
 * Selection is compared exactly (bound 0 on every entry): TopK and BatchTopK only copy, zero or
 * max(v, 0) the values, and both sides apply the same tie rule (the lower index wins), so even
 * on inputs full of ties the kept set, the values and the sparse form must be identical, not
 * just "a" valid top-k. The arithmetic kernels are held to (n_eff + k)·u·Σ|terms| per output,
 * with each bound's roundings counted where it is formed.
 */
import {
  auxKDelta,
  batchTopK,
  centerRows,
  decoderNorms,
  l1Delta,
  l1DecoderGradient,
  l1PenaltyPerExample,
  removeParallelGradient,
  renormalizeDecoder,
  rowTopK,
  sparseDecode,
  sparseRows,
  topKBackward,
  updateThreshold,
} from '../reference/sae';
import { Random } from '../random';
import { chooseKernelConfig } from './adapter';
import { compareElementwise, type CheckResult } from './comparison';
import type { GpuContext } from './device';
import { chunkCount, hiddenDeltaProgram, roundUp4, sumSlicesProgram, type KernelProgram } from './programs';
import { createStorageBuffer, readF32, runPrograms, uploadF32, type NamedBuffers } from './runtime';
import {
  auxKDeltaProgram,
  BATCH_SELECT_STATE_WORDS,
  centerRowsProgram,
  batchSelectBlocks,
  batchTopKPrograms,
  decoderNormsProgram,
  l1Program,
  MIN_POSITIVE_INDEX,
  sparseDecodeProgram,
  THRESHOLD_INDEX,
  topKProgram,
  type DecoderNormStep,
  type L1Step,
  type TopKVariant,
} from './sae-programs';
import { roundoffBound, UNIT_ROUNDOFF } from './tolerance';

const u = UNIT_ROUNDOFF;

/**
 * What the pre-activations look like:
 * - distinct: uniform in [−1, 1] (float32: a few equal pairs at large n are possible, and fine);
 * - ties: integers in [−3, 3] with −0 beside +0, so the k-th largest is shared by many;
 * - negative: every value in [−2, −0.1] (every kept value becomes 0).
 */
export type PreActivations = 'distinct' | 'ties' | 'negative';

function preActivations(rng: Random, count: number, kind: PreActivations): Float32Array {
  return Float32Array.from({ length: count }, () => {
    if (kind === 'distinct') return 2 * rng.uniform() - 1;
    if (kind === 'negative') return -0.1 - 1.9 * rng.uniform();
    const v = rng.integer(7) - 3;
    return v === 0 && rng.uniform() < 0.5 ? -0 : v;
  });
}

function uniformValues(rng: Random, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

function padRows(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const ld = roundUp4(cols);
  const out = new Float32Array(rows * ld);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * ld + c] = values[r * cols + c];
  return out;
}

function uploadU32(device: GPUDevice, values: Uint32Array<ArrayBuffer>, label: string): GPUBuffer {
  const buffer = createStorageBuffer(device, values.byteLength, label);
  device.queue.writeBuffer(buffer, 0, values);
  return buffer;
}

async function withBuffers<T>(created: GPUBuffer[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    for (const b of created) b.destroy();
  }
}

function exact(name: string, shape: CheckResult['shape'], gpu: ArrayLike<number>, expected: ArrayLike<number>): CheckResult {
  return compareElementwise(name, shape, gpu, expected, new Float64Array(gpu.length));
}

// ---------------------------------------------------------------------------------------------
// Selection.

export interface TopKCheck {
  rows: number;
  cols: number;
  k: number;
  values?: PreActivations;
  /** Also check the sparse form, and decode it (sparse_decode.wgsl) into `width` outputs. */
  sparse?: boolean;
  width?: number;
  /** Candidates only where column c % every < count (AuxK's dead latents); count 0: none at all. */
  eligible?: { every: number; count: number };
  seed?: number;
  /** Which kernel (topKProgram's variant): 'workgroup' by default. */
  variant?: TopKVariant;
}

/**
 * Row-wise TopK in place (every stored entry, padding included, exactly as rowTopK), and with
 * `sparse` the indices and values exactly and the sparse decoder's x̂ = b + Σ_j v_j·W[i_j] under
 * its chain of k + 1 (the decoder reads what the selection wrote, as it will in a model).
 */
export async function checkTopK(ctx: GpuContext, spec: TopKCheck): Promise<CheckResult[]> {
  const { rows, cols, k } = spec;
  const ld = roundUp4(cols);
  const rng = new Random(spec.seed ?? 11);
  const pre = preActivations(rng, rows * cols, spec.values ?? 'distinct');
  const sparse = spec.sparse ?? false;
  const width = spec.width ?? 5;
  const width4 = roundUp4(width);
  const w = uniformValues(rng, cols * width, -0.5, 0.5);
  const biasOffset = 3;
  const bias = uniformValues(rng, biasOffset + width, -1, 1);
  const eligibleSpec = spec.eligible;
  const isEligible = (c: number) => !eligibleSpec || c % eligibleSpec.every < eligibleSpec.count;
  const eligible = Uint32Array.from({ length: cols }, (_, c) => (isEligible(c) ? 1 : 0));
  const device = ctx.device;
  const buffers = {
    z: uploadF32(device, padRows(pre, rows, cols), 'z'),
    // Filled with what no selection writes, so that every slot read back was written.
    indices: uploadU32(device, new Uint32Array(rows * k).fill(7777), 'top-k indices'),
    values: uploadF32(device, new Float32Array(rows * k).fill(-1), 'top-k values'),
    w: uploadF32(device, padRows(w, cols, width), 'W_dec padded'),
    bias: uploadF32(device, bias, 'bias'),
    out: createStorageBuffer(device, rows * width4 * 4, 'x hat'),
    eligible: uploadU32(device, eligible, 'eligible latents'),
  };
  const select = topKProgram({ rows, cols, k, sparse, masked: eligibleSpec !== undefined, variant: spec.variant });
  const decode = sparseDecodeProgram({ rows, k, width, biasOffset });
  const shape = { rows, cols, k, variant: spec.variant ?? 'workgroup', values: spec.values ?? 'distinct', sparse, eligible: eligibleSpec ? `${eligibleSpec.count} of every ${eligibleSpec.every}` : 'all' };
  return withBuffers(Object.values(buffers), async () => {
    const runs: Array<{ program: KernelProgram; buffers: NamedBuffers }> = [{ program: select, buffers: { z: buffers.z, indices: buffers.indices, values: buffers.values, eligible: buffers.eligible } }];
    if (sparse) runs.push({ program: decode, buffers: { indices: buffers.indices, values: buffers.values, w: buffers.w, bias: buffers.bias, out: buffers.out } });
    await runPrograms(ctx, runs);
    const sel = rowTopK(pre, rows, cols, k, eligibleSpec ? isEligible : undefined);
    const results = [exact('top-k in place', shape, await readF32(ctx, buffers.z, 0, rows * ld), padRowsF64(sel.z, rows, cols))];
    if (!sparse) return results;
    const ref = sparseRows(sel, rows, cols, k);
    const indexBits = await readF32(ctx, buffers.indices, 0, rows * k);
    const indices = new Uint32Array(indexBits.buffer, indexBits.byteOffset, rows * k);
    results.push(exact('top-k indices', shape, indices, ref.indices), exact('top-k values', shape, await readF32(ctx, buffers.values, 0, rows * k), ref.values));
    const xHat = sparseDecode(ref.indices, ref.values, rows, k, w, width, bias.subarray(biasOffset));
    const absTerms = sparseDecode(ref.indices, ref.values.map(Math.abs), rows, k, w.map(Math.abs), width, bias.subarray(biasOffset).map(Math.abs));
    const gpu = await readF32(ctx, buffers.out, 0, rows * width4);
    const bounds = Float64Array.from(padRowsF64(absTerms, rows, width), (s) => roundoffBound(decode.chainLength, 0, s));
    results.push(compareElementwise('sparse decode of the top-k', { ...shape, width }, gpu, padRowsF64(xHat, rows, width), bounds));
    return results;
  });
}

function padRowsF64(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const ld = roundUp4(cols);
  const out = new Float64Array(rows * ld);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * ld + c] = values[r * cols + c];
  return out;
}

/**
 * The selection's backward pass as a model runs it: top-k in place, then the ReLU hidden delta
 * (hiddenDeltaProgram, activation 'relu', no sparsity) masks backprop by z > 0. δ is compared
 * exactly with topKBackward: it is backprop itself or 0.
 */
export async function checkTopKBackward(ctx: GpuContext, spec: { rows: number; cols: number; k: number; values?: PreActivations; seed?: number }): Promise<CheckResult> {
  const { rows, cols, k } = spec;
  const ld = roundUp4(cols);
  const rng = new Random(spec.seed ?? 15);
  const pre = preActivations(rng, rows * cols, spec.values ?? 'distinct');
  const backprop = uniformValues(rng, rows * cols, -1, 1);
  const select = topKProgram({ rows, cols, k });
  const mask = hiddenDeltaProgram({ rows, hidden: cols, sparsity: null, activation: 'relu' }, chooseKernelConfig(ctx.adapterInfo).laneGroup);
  const device = ctx.device;
  const buffers = {
    z: uploadF32(device, padRows(pre, rows, cols), 'z'),
    unused: createStorageBuffer(device, 16, 'unused'),
    unusedValues: createStorageBuffer(device, 16, 'unused values'),
    unusedEligible: createStorageBuffer(device, 16, 'unused eligible'),
    backprop: uploadF32(device, padRows(backprop, rows, cols), 'backprop'),
    delta: createStorageBuffer(device, rows * ld * 4, 'delta'),
    deltaSum: createStorageBuffer(device, chunkCount(rows) * ld * 4, 'delta column partials'),
  };
  return withBuffers(Object.values(buffers), async () => {
    await runPrograms(ctx, [
      { program: select, buffers: { z: buffers.z, indices: buffers.unused, values: buffers.unusedValues, eligible: buffers.unusedEligible } },
      { program: mask, buffers: { backprop: buffers.backprop, a2: buffers.z, meanActivation: buffers.unused, delta2: buffers.delta, deltaSum: buffers.deltaSum } },
    ]);
    const expected = padRowsF64(topKBackward(backprop, rowTopK(pre, rows, cols, k).z), rows, cols);
    return exact('top-k backward (ReLU mask of the kept)', { rows, cols, k, values: spec.values ?? 'distinct' }, await readF32(ctx, buffers.delta, 0, rows * ld), expected);
  });
}

export interface BatchTopKCheck {
  rows: number;
  cols: number;
  k: number;
  values?: PreActivations;
  /** θ before this batch and α. */
  threshold?: number;
  rate?: number;
  seed?: number;
}

/**
 * BatchTopK in place (exactly as batchTopK), the smallest positive kept value (exactly), and the
 * running threshold after the update: (1 − α)·θ + α·m in float32, four roundings of its terms
 * (1 − α, the two products, the sum).
 */
export async function checkBatchTopK(ctx: GpuContext, spec: BatchTopKCheck): Promise<CheckResult[]> {
  const { rows, cols, k } = spec;
  const ld = roundUp4(cols);
  const rate = Math.fround(spec.rate ?? 0.01);
  const threshold0 = Math.fround(spec.threshold ?? 0.25);
  const rng = new Random(spec.seed ?? 12);
  const pre = preActivations(rng, rows * cols, spec.values ?? 'distinct');
  const device = ctx.device;
  const state = new Float32Array(BATCH_SELECT_STATE_WORDS);
  state[THRESHOLD_INDEX] = threshold0;
  const buffers = {
    state: uploadF32(device, state, 'batch top-k state'),
    z: uploadF32(device, padRows(pre, rows, cols), 'z'),
    blockTies: createStorageBuffer(device, batchSelectBlocks(rows, cols) * 4, 'ties per block'),
  };
  const programs = batchTopKPrograms({ rows, cols, k, rate });
  const shape = { rows, cols, k, values: spec.values ?? 'distinct' };
  return withBuffers(Object.values(buffers), async () => {
    await runPrograms(
      ctx,
      programs.map((program) => ({ program, buffers: Object.fromEntries(program.bindingNames.map((name) => [name, buffers[name as keyof typeof buffers]])) })),
    );
    const sel = batchTopK(pre, rows, cols, k);
    const words = await readF32(ctx, buffers.state, 0, BATCH_SELECT_STATE_WORDS);
    const bits = new Uint32Array(words.buffer, words.byteOffset, words.length);
    const noPositive = bits[MIN_POSITIVE_INDEX] === 0xffffffff;
    const minPositive = noPositive ? null : words[MIN_POSITIVE_INDEX];
    const expectedThreshold = updateThreshold(threshold0, sel.minPositive, rate);
    const terms = sel.minPositive === null ? 0 : Math.abs((1 - rate) * threshold0) + Math.abs(rate * sel.minPositive);
    return [
      exact('batch top-k in place', shape, await readF32(ctx, buffers.z, 0, rows * ld), padRowsF64(sel.z, rows, cols)),
      // null (no positive kept) as NaN on both sides would never compare equal: −1 stands for it.
      exact('batch top-k smallest positive kept', shape, [minPositive ?? -1], [sel.minPositive ?? -1]),
      compareElementwise('batch top-k running threshold', { ...shape, rate, threshold0 }, [words[THRESHOLD_INDEX]], [expectedThreshold], [roundoffBound(0, 4, terms)]),
    ];
  });
}

// ---------------------------------------------------------------------------------------------
// Decoder norms.

export interface DecoderNormsCheck {
  latents: number;
  width: number;
  step: DecoderNormStep;
  /** Make every `zeroEvery`-th direction zero (the kernels must leave it alone). */
  zeroEvery?: number;
  seed?: number;
}

/**
 * One decoder-norm step on a W_dec block inside a θ-like buffer (and its gradient at the same
 * offset of a gradient-like one). Bounds: S = Σw² carries roundoffBound(n_eff, 0, S); √S then
 * S's relative error halved and sqrt's own 9 roundings (WGSL's 1/inverseSqrt); w/‖w‖ adds ‖w‖'s
 * relative error and 5 (a 2.5-ULP division); g − (g·w/‖w‖²)w carries f = g·w/S's absolute error
 * (its dot's and S's chains, the division's 5) times |w|, and 2 roundings of f·w and the subtraction.
 */
export async function checkDecoderNorms(ctx: GpuContext, spec: DecoderNormsCheck): Promise<CheckResult> {
  const { latents: h, width: d, step } = spec;
  const rng = new Random(spec.seed ?? 13);
  const offset = 7;
  const theta = uniformValues(rng, offset + h * d + 5, -0.5, 0.5);
  const grad = uniformValues(rng, offset + h * d + 5, -0.1, 0.1);
  if (spec.zeroEvery) for (let i = 0; i < h; i += spec.zeroEvery) theta.fill(0, offset + i * d, offset + (i + 1) * d);
  const w = theta.subarray(offset, offset + h * d);
  const g = grad.subarray(offset, offset + h * d);
  const program = decoderNormsProgram(step, { latents: h, width: d, wOffset: offset, gOffset: offset });
  const n = program.chainLength;
  const device = ctx.device;
  const buffers = { theta: uploadF32(device, theta, 'theta'), grad: uploadF32(device, grad, 'gradient'), norms: createStorageBuffer(device, h * 4, 'norms') };
  const bound = { columnNorms: buffers.norms, removeParallel: buffers.grad, renormalize: buffers.theta }[step];
  const named: NamedBuffers = { columnNorms: { w: buffers.theta, norms: buffers.norms }, removeParallel: { w: buffers.theta, grad: buffers.grad }, renormalize: { weights: buffers.theta } }[step];
  return withBuffers(Object.values(buffers), async () => {
    await runPrograms(ctx, [{ program, buffers: named }]);
    const norms = decoderNorms(w, h, d);
    // The relative error of each ‖w_i‖.
    const normRelative = roundoffBound(n, 0, 1) / 2 + 9 * u;
    if (step === 'columnNorms') {
      const gpu = await readF32(ctx, bound, 0, h);
      return compareElementwise('decoder column norms', { latents: h, width: d }, gpu, norms, Float64Array.from(norms, (v) => v * normRelative));
    }
    if (step === 'renormalize') {
      const gpu = await readF32(ctx, bound, offset, h * d);
      const expected = renormalizeDecoder(w, h, d);
      const bounds = Float64Array.from(expected, (v, j) => Math.abs(v) * (normRelative + 5 * u));
      return compareElementwise('decoder renormalize', { latents: h, width: d }, gpu, expected, bounds);
    }
    const gpu = await readF32(ctx, bound, offset, h * d);
    const expected = removeParallelGradient(w, g, h, d);
    const bounds = new Float64Array(h * d);
    for (let i = 0; i < h; i++) {
      let dot = 0;
      let absDot = 0;
      let sq = 0;
      for (let c = 0; c < d; c++) {
        dot += g[i * d + c] * w[i * d + c];
        absDot += Math.abs(g[i * d + c] * w[i * d + c]);
        sq += w[i * d + c] ** 2;
      }
      const f = sq > 0 ? dot / sq : 0;
      const fError = sq > 0 ? roundoffBound(n, 0, absDot) / sq + Math.abs(f) * (roundoffBound(n, 0, sq) / sq + 5 * u) : 0;
      for (let c = 0; c < d; c++) {
        const j = i * d + c;
        const fw = Math.abs(f * w[j]);
        bounds[j] = fError * Math.abs(w[j]) + u * fw + u * (Math.abs(g[j]) + fw);
      }
    }
    return compareElementwise('decoder gradient without its parallel part', { latents: h, width: d }, gpu, expected, bounds);
  });
}

// ---------------------------------------------------------------------------------------------
// The L1 penalty.

export interface L1Check {
  rows: number;
  latents: number;
  width?: number;
  step: L1Step;
  lambda?: number;
  seed?: number;
}

/**
 * One part of the L1 term against its twin. z is a ReLU output (about half zeros), the norms
 * positive. Bounds: the per-example sum its chain over Σ|z·n|; the δ two roundings (λ·n, +) of
 * |backprop| + |λn|, its mask exact; the decoder gradient's term λ·scale·Σz·(w/n) five roundings
 * for the division and three for the products, one more for adding it to g.
 */
export async function checkL1(ctx: GpuContext, spec: L1Check): Promise<CheckResult> {
  const { rows, latents: h, step } = spec;
  const d = spec.width ?? 5;
  // The GPU's λ is the float32 nearest; so is the twin's.
  const lambda = Math.fround(spec.lambda ?? 0.3);
  const ld = roundUp4(h);
  const rng = new Random(spec.seed ?? 14);
  const z = Float32Array.from({ length: rows * h }, () => Math.max(0, 2 * rng.uniform() - 1));
  const norms = uniformValues(rng, h, 0.5, 2);
  const device = ctx.device;
  const shape = { rows, latents: h, width: d, lambda };
  if (step === 'penaltyPerExample') {
    const program = l1Program(step, { rows, latents: h });
    const buffers = { z: uploadF32(device, padRows(z, rows, h), 'z'), norms: uploadF32(device, norms, 'norms'), perExample: createStorageBuffer(device, rows * 4, 'per example') };
    return withBuffers(Object.values(buffers), async () => {
      await runPrograms(ctx, [{ program, buffers }]);
      const expected = l1PenaltyPerExample(z, norms, rows, h);
      // z and the norms are ≥ 0: the terms are their own absolute values.
      return compareElementwise('L1 penalty per example', shape, await readF32(ctx, buffers.perExample, 0, rows), expected, Float64Array.from(expected, (s) => roundoffBound(program.chainLength, 0, s)));
    });
  }
  if (step === 'encoderDelta') {
    const program = l1Program(step, { rows, latents: h, lambda });
    const backprop = uniformValues(rng, rows * h, -1, 1);
    const buffers = {
      z: uploadF32(device, padRows(z, rows, h), 'z'),
      norms: uploadF32(device, norms, 'norms'),
      backprop: uploadF32(device, padRows(backprop, rows, h), 'backprop'),
      delta: createStorageBuffer(device, rows * ld * 4, 'delta'),
    };
    return withBuffers(Object.values(buffers), async () => {
      await runPrograms(ctx, [{ program, buffers }]);
      const expected = padRowsF64(l1Delta(backprop, z, norms, h, lambda), rows, h);
      const terms = padRowsF64(Float64Array.from(backprop, (b, j) => (z[j] > 0 ? Math.abs(b) + Math.abs(lambda * norms[j % h]) : 0)), rows, h);
      return compareElementwise('L1 encoder delta', shape, await readF32(ctx, buffers.delta, 0, rows * ld), expected, Float64Array.from(terms, (s) => roundoffBound(0, 2, s)));
    });
  }
  const scale = 1 / rows;
  if (step === 'addPenalty') {
    const program = l1Program(step, { rows, latents: h, lambda, scale });
    const zSums = Float32Array.from({ length: h }, (_, i) => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += z[r * h + i];
      return s;
    });
    const before = Float32Array.from([1.5, 1.25, 0, 77]);
    const buffers = { zColumnSums: uploadF32(device, zSums, 'z column sums'), norms: uploadF32(device, norms, 'norms'), cost: uploadF32(device, before, 'cost') };
    return withBuffers(Object.values(buffers), async () => {
      await runPrograms(ctx, [{ program, buffers }]);
      // λ·scale·Σ zSums·n: the sum's chain, then two products; the cost's sum one more rounding.
      const sum = Array.from(zSums).reduce((a, v, i) => a + v * norms[i], 0);
      const penalty = lambda * Math.fround(scale) * sum;
      const penaltyBound = roundoffBound(program.chainLength, 2, penalty);
      const expected = [before[0] + penalty, before[1], before[2], penalty];
      const bounds = [penaltyBound + u * (before[0] + penalty), 0, 0, penaltyBound];
      return compareElementwise('L1 penalty into the cost', shape, await readF32(ctx, buffers.cost, 0, 4), expected, bounds);
    });
  }
  const offset = 9;
  const theta = uniformValues(rng, offset + h * d + 3, -0.5, 0.5);
  const grad = uniformValues(rng, offset + h * d + 3, -0.1, 0.1);
  const w = theta.subarray(offset, offset + h * d);
  const wNorms = Float32Array.from(decoderNorms(w, h, d));
  const zSums = Float32Array.from({ length: h }, (_, i) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += z[r * h + i];
    return s;
  });
  const program = l1Program(step, { rows, latents: h, width: d, wOffset: offset, gOffset: offset, lambda, scale });
  const buffers = { w: uploadF32(device, theta, 'theta'), norms: uploadF32(device, wNorms, 'norms'), zSums: uploadF32(device, zSums, 'z column sums'), grad: uploadF32(device, grad, 'gradient') };
  return withBuffers(Object.values(buffers), async () => {
    await runPrograms(ctx, [{ program, buffers }]);
    const g = grad.subarray(offset, offset + h * d);
    const expected = l1DecoderGradient(g, w, zSums, wNorms, h, d, lambda, Math.fround(scale));
    const bounds = Float64Array.from(expected, (v, j) => {
      const term = Math.abs(v - g[j]);
      return roundoffBound(0, 8, term) + u * (Math.abs(g[j]) + term);
    });
    return compareElementwise('L1 decoder gradient', shape, await readF32(ctx, buffers.grad, offset, h * d), expected, bounds);
  });
}

// ---------------------------------------------------------------------------------------------
// The TopK model's two small kernels.

/** x − b for rows taken from row `xRow` of a data-like buffer: one rounding of |x| + |b| (padding exactly 0). */
export async function checkCenterRows(ctx: GpuContext, spec: { rows: number; cols: number; xRow?: number; seed?: number }): Promise<CheckResult> {
  const { rows, cols } = spec;
  const xRow = spec.xRow ?? 3;
  const cols4 = roundUp4(cols);
  const rng = new Random(spec.seed ?? 16);
  const x = uniformValues(rng, (xRow + rows) * cols, -1, 1);
  const biasOffset = 5;
  const theta = uniformValues(rng, biasOffset + cols + 2, -0.5, 0.5);
  const program = centerRowsProgram({ rows, cols, xRow, biasOffset });
  const device = ctx.device;
  const buffers = { x: uploadF32(device, padRows(x, xRow + rows, cols), 'X'), bias: uploadF32(device, theta, 'theta'), out: createStorageBuffer(device, rows * cols4 * 4, 'X − b') };
  return withBuffers(Object.values(buffers), async () => {
    await runPrograms(ctx, [{ program, buffers }]);
    const mine = x.subarray(xRow * cols);
    const b = theta.subarray(biasOffset, biasOffset + cols);
    const expected = padRowsF64(centerRows(mine, b, rows, cols), rows, cols);
    const terms = padRowsF64(Float64Array.from({ length: rows * cols }, (_, j) => Math.abs(mine[j]) + Math.abs(b[j % cols])), rows, cols);
    return compareElementwise('centre rows', { rows, cols, xRow }, await readF32(ctx, buffers.out, 0, rows * cols4), expected, Float64Array.from(terms, (t) => u * t));
  });
}

/**
 * AuxK's delta and its squared error's column totals (the kernel, then sum_slices as the model
 * runs them). δ_aux: the sum ê + δ_out and the product by α, 2 roundings of α(|ê| + |δ_out|); the
 * totals: the chunks' chain and the slices' (+ the square's rounding) over Σ(ê + δ_out)².
 */
export async function checkAuxKDelta(ctx: GpuContext, spec: { rows: number; cols: number; coefficient?: number; seed?: number }): Promise<CheckResult[]> {
  const { rows, cols } = spec;
  const cols4 = roundUp4(cols);
  const coefficient = Math.fround(spec.coefficient ?? 1 / 32);
  const rng = new Random(spec.seed ?? 17);
  const eHat = uniformValues(rng, rows * cols, -1, 1);
  const deltaOut = uniformValues(rng, rows * cols, -1, 1);
  const laneGroup = chooseKernelConfig(ctx.adapterInfo).laneGroup;
  const program = auxKDeltaProgram({ rows, cols4: cols4 / 4, coefficient }, laneGroup);
  const totals = sumSlicesProgram({ rows: 1, cols, ld: cols4, sliceStride: cols4, slices: chunkCount(rows), outOffset: 0, scale: 1 });
  const device = ctx.device;
  const buffers = {
    eHat: uploadF32(device, padRows(eHat, rows, cols), 'e hat'),
    deltaOut: uploadF32(device, padRows(deltaOut, rows, cols), 'delta out'),
    deltaAux: createStorageBuffer(device, rows * cols4 * 4, 'delta aux'),
    squaredError: createStorageBuffer(device, chunkCount(rows) * cols4 * 4, 'squared error partials'),
    unused: createStorageBuffer(device, 16, 'unused'),
    out: createStorageBuffer(device, cols4 * 4, 'squared error totals'),
  };
  const shape = { rows, cols, coefficient };
  return withBuffers(Object.values(buffers), async () => {
    await runPrograms(ctx, [
      { program, buffers: { eHat: buffers.eHat, deltaOut: buffers.deltaOut, deltaAux: buffers.deltaAux, squaredError: buffers.squaredError } },
      { program: totals, buffers: { partials: buffers.squaredError, w: buffers.unused, out: buffers.out } },
    ]);
    const ref = auxKDelta(eHat, deltaOut, rows, cols, coefficient);
    const deltaTerms = padRowsF64(Float64Array.from(eHat, (e, j) => coefficient * (Math.abs(e) + Math.abs(deltaOut[j]))), rows, cols);
    // Each (ê + δ_out)² carries its sum's rounding twice (squared) and its own.
    const chain = program.chainLength + totals.chainLength + 3;
    return [
      compareElementwise('AuxK delta', shape, await readF32(ctx, buffers.deltaAux, 0, rows * cols4), padRowsF64(ref.delta, rows, cols), Float64Array.from(deltaTerms, (t) => roundoffBound(0, 2, t))),
      compareElementwise('AuxK squared error totals', shape, await readF32(ctx, buffers.out, 0, cols), ref.squaredError, Float64Array.from(ref.squaredError, (s) => roundoffBound(chain, 0, s))),
    ];
  });
}
