/**
 * The convolution and pooling kernels against their float64 twins (src/reference/conv.ts),
 * elementwise under the tolerance policy (./tolerance.ts), the reference handed exactly the
 * float32 values the GPU saw: the images, and W′ and b′ folded in float64 and rounded to float32.
 */
import { convolvedDim, convolvePreactivations, foldWhitening, meanPool, pooledDim, type ConvShape } from '../reference/conv';
import { Random } from '../random';
import { compareElementwise, type CheckResult } from './comparison';
import { convolutionAsMatmul, convolveProgram, meanPoolProgram } from './conv-programs';
import { GpuConvolvePool } from './conv-pool';
import type { KernelProgram } from './programs';
import type { GpuContext } from './device';
import { createStorageBuffer, readF32, runPrograms, uploadF32 } from './runtime';
import { roundoffBound, sigmoidBound } from './tolerance';

export interface ConvCheck extends ConvShape {
  poolDim: number;
  seed?: number;
}

/** A convolution problem like cnnExercise's: images in [0, 1], features learned on ZCA-whitened patches, folded. */
export function makeConvFixture(spec: ConvCheck) {
  const { images: n, channels: C, imageDim: dim, features: F, patchDim: p } = spec;
  const v = C * p * p;
  const rng = new Random(spec.seed ?? 1);
  const images = Float32Array.from({ length: n * C * dim * dim }, () => rng.uniform());
  const W = Float64Array.from({ length: F * v }, () => 0.3 * rng.normal());
  const b = Float64Array.from({ length: F }, () => 0.1 * rng.normal());
  // A symmetric whitening-like T (I + a small symmetric part) and a mean patch near the images' mean.
  const T = new Float64Array(v * v);
  for (let i = 0; i < v; i++) {
    for (let j = i; j < v; j++) {
      const t = (i === j ? 1 : 0) + 0.05 * rng.normal();
      T[i * v + j] = t;
      T[j * v + i] = t;
    }
  }
  const meanPatch = Float64Array.from({ length: v }, () => 0.5 + 0.05 * rng.normal());
  const folded = foldWhitening(W, b, T, meanPatch, F, v);
  return { images, weights: Float32Array.from(folded.weights), bias: Float32Array.from(folded.bias) };
}

/** Convolution (σ included) then pooling, in one submission; each output checked, the pooled ones carrying the convolved ones' bounds. */
export async function checkConvolutionAndPooling(ctx: GpuContext, spec: ConvCheck): Promise<[convolved: CheckResult, pooled: CheckResult]> {
  const shape: ConvShape = spec;
  const cd = convolvedDim(shape);
  const maps = spec.images * spec.features;
  const pd = pooledDim(cd, spec.poolDim);
  const { images, weights, bias } = makeConvFixture(spec);
  const convolve = convolveProgram(shape);
  const pool = meanPoolProgram({ maps, convDim: cd, poolDim: spec.poolDim });
  const device = ctx.device;
  const buffers = {
    images: uploadF32(device, images, 'images'),
    weights: uploadF32(device, weights, 'W′'),
    bias: uploadF32(device, bias, 'b′'),
    convolved: createStorageBuffer(device, maps * cd * cd * 4, 'convolved'),
    pooled: createStorageBuffer(device, maps * pd * pd * 4, 'pooled'),
  };
  try {
    await runPrograms(ctx, [
      { program: convolve, buffers: { images: buffers.images, weights: buffers.weights, bias: buffers.bias, out: buffers.convolved } },
      { program: pool, buffers: { convolved: buffers.convolved, pooled: buffers.pooled } },
    ]);
    const gpuConvolved = await readF32(ctx, buffers.convolved, 0, maps * cd * cd);
    const gpuPooled = await readF32(ctx, buffers.pooled, 0, maps * pd * pd);

    const z = convolvePreactivations(images, weights, bias, shape);
    const zAbs = convolvePreactivations(images, weights, bias, shape, true);
    const convolved = z.map((x) => 1 / (1 + Math.exp(-x)));
    const convolvedBounds = z.map((x, k) => sigmoidBound(x, roundoffBound(convolve.chainLength, 0, zAbs[k])));
    const shapeInfo = { ...shape, poolDim: spec.poolDim, convDim: cd, pooledDim: pd };
    const convolvedCheck = compareElementwise('convolve features (σ(W′·x + b′))', shapeInfo, gpuConvolved, convolved, convolvedBounds);

    // The pooled mean of the GPU's σ values carries their bounds averaged, plus its own chain on mean |σ| (σ > 0).
    const pooled = meanPool(convolved, maps, cd, spec.poolDim);
    const carried = meanPool(convolvedBounds, maps, cd, spec.poolDim);
    const pooledBounds = pooled.map((mean, k) => carried[k] + roundoffBound(pool.chainLength, 0, mean + carried[k]));
    const pooledCheck = compareElementwise('mean pool', shapeInfo, gpuPooled, pooled, pooledBounds);
    return [convolvedCheck, pooledCheck];
  } finally {
    for (const buffer of Object.values(buffers)) buffer.destroy();
  }
}

/** Pooling alone on exact float32 inputs (no carried error): its own chain only. */
export async function checkMeanPool(ctx: GpuContext, spec: { maps: number; convDim: number; poolDim: number; seed?: number }): Promise<CheckResult> {
  const { maps, convDim, poolDim } = spec;
  const pd = pooledDim(convDim, poolDim);
  const rng = new Random(spec.seed ?? 3);
  const input = Float32Array.from({ length: maps * convDim * convDim }, () => rng.normal());
  const program = meanPoolProgram(spec);
  const device = ctx.device;
  const convolved = uploadF32(device, input, 'convolved');
  const out = createStorageBuffer(device, maps * pd * pd * 4, 'pooled');
  try {
    await runPrograms(ctx, [{ program, buffers: { convolved, pooled: out } }]);
    const gpu = await readF32(ctx, out, 0, maps * pd * pd);
    const reference = meanPool(input, maps, convDim, poolDim);
    const absMeans = meanPool(Float64Array.from(input, Math.abs), maps, convDim, poolDim);
    return compareElementwise('mean pool', { maps, convDim, poolDim, pooledDim: pd }, gpu, reference, absMeans.map((s) => roundoffBound(program.chainLength, 0, s)));
  } finally {
    convolved.destroy();
    out.destroy();
  }
}


/** W′ (F × v) as the matmul's B: W′ᵀ, ld × F4, zero-padded. */
function weightsAsB(weights: Float32Array, features: number, v: number, ld: number, F4: number): Float32Array {
  const b = new Float32Array(ld * F4);
  for (let f = 0; f < features; f++) for (let k = 0; k < v; k++) b[k * F4 + f] = weights[f * v + k];
  return b;
}

/** im2col + matmul, then the position-major pooling, in one submission; both outputs checked as checkConvolutionAndPooling checks them. */
export async function checkConvolutionAsMatmul(ctx: GpuContext, spec: ConvCheck): Promise<[convolved: CheckResult, pooled: CheckResult]> {
  const shape: ConvShape = spec;
  const { images, weights, bias } = makeConvFixture(spec);
  const { im2col, product, F4 } = convolutionAsMatmul(ctx.adapterInfo, shape);
  const maps = spec.images * spec.features;
  const cd = convolvedDim(shape);
  const pd = pooledDim(cd, spec.poolDim);
  const pool = meanPoolProgram({ maps, convDim: cd, poolDim: spec.poolDim, positionMajor: { features: spec.features, ld: F4 } });
  const v = spec.channels * spec.patchDim * spec.patchDim;
  const device = ctx.device;
  const buffers = {
    images: uploadF32(device, images, 'images'),
    cols: createStorageBuffer(device, im2col.rows * im2col.ld * 4, 'im2col'),
    b: uploadF32(device, weightsAsB(weights, spec.features, v, im2col.ld, F4), 'W′ᵀ'),
    bias: uploadF32(device, bias, 'b′'),
    c: createStorageBuffer(device, im2col.rows * F4 * 4, 'convolved (position-major)'),
    pooled: createStorageBuffer(device, maps * pd * pd * 4, 'pooled'),
  };
  try {
    await runPrograms(ctx, [
      { program: im2col, buffers: { images: buffers.images, cols: buffers.cols } },
      { program: product, buffers: { a: buffers.cols, b: buffers.b, c: buffers.c, bias: buffers.bias } },
      { program: pool, buffers: { convolved: buffers.c, pooled: buffers.pooled } },
    ]);
    const out = await readF32(ctx, buffers.c, 0, im2col.rows * F4);
    const gpuPooled = await readF32(ctx, buffers.pooled, 0, maps * pd * pd);
    const z = convolvePreactivations(images, weights, bias, shape);
    const zAbs = convolvePreactivations(images, weights, bias, shape, true);
    const area = im2col.rows / spec.images;
    // Both layouts side by side: entry (i, pos, f) of the product against (i, f, pos) of the twin; the padding must be 0.
    const gpu = new Float64Array(im2col.rows * F4);
    const expected = new Float64Array(im2col.rows * F4);
    const bounds = new Float64Array(im2col.rows * F4);
    // The same values and bounds feature-major, for the pooling's.
    const convolved = new Float64Array(maps * area);
    const convolvedBounds = new Float64Array(maps * area);
    for (let row = 0; row < im2col.rows; row++) {
      const [i, pos] = [Math.floor(row / area), row % area];
      for (let f = 0; f < F4; f++) {
        const at = row * F4 + f;
        gpu[at] = out[at];
        if (f >= spec.features) continue;
        const k = (i * spec.features + f) * area + pos;
        expected[at] = 1 / (1 + Math.exp(-z[k]));
        // The bias is the epilogue's one added rounding, as checkMatmul counts it.
        bounds[at] = sigmoidBound(z[k], roundoffBound(product.chainLength, 1, zAbs[k]));
        convolved[k] = expected[at];
        convolvedBounds[k] = bounds[at];
      }
    }
    const shapeInfo = { ...shape, poolDim: spec.poolDim, variant: product.name };
    const convolvedCheck = compareElementwise('convolve features as im2col + matmul (σ epilogue)', shapeInfo, gpu, expected, bounds);
    const pooled = meanPool(convolved, maps, cd, spec.poolDim);
    const carried = meanPool(convolvedBounds, maps, cd, spec.poolDim);
    const pooledBounds = pooled.map((mean, k) => carried[k] + roundoffBound(pool.chainLength, 0, mean + carried[k]));
    return [convolvedCheck, compareElementwise('mean pool (position-major)', shapeInfo, gpuPooled, pooled, pooledBounds)];
  } finally {
    for (const buffer of Object.values(buffers)) buffer.destroy();
  }
}

/**
 * Median milliseconds of one submission of each way of convolving (direct kernel; im2col +
 * matmul), waited for, after a warm-up; the inputs as the checks make them.
 */
export async function timeConvolutions(ctx: GpuContext, shape: ConvShape, reps = 5): Promise<{ directMs: number; im2colMatmulMs: number }> {
  const spec = { ...shape, poolDim: 1 };
  const { images, weights, bias } = makeConvFixture(spec);
  const direct = convolveProgram(shape);
  const { im2col, product, F4 } = convolutionAsMatmul(ctx.adapterInfo, shape);
  const v = shape.channels * shape.patchDim * shape.patchDim;
  const cd = im2col.rows / shape.images;
  const device = ctx.device;
  const buffers = {
    images: uploadF32(device, images, 'images'),
    weights: uploadF32(device, weights, 'W′'),
    bias: uploadF32(device, bias, 'b′'),
    out: createStorageBuffer(device, shape.images * shape.features * cd * 4, 'convolved'),
    cols: createStorageBuffer(device, im2col.rows * im2col.ld * 4, 'im2col'),
    b: uploadF32(device, weightsAsB(weights, shape.features, v, im2col.ld, F4), 'W′ᵀ'),
    c: createStorageBuffer(device, im2col.rows * F4 * 4, 'convolved (position-major)'),
  };
  const median = async (runs: ReadonlyArray<{ program: KernelProgram; buffers: Record<string, GPUBuffer> }>) => {
    await runPrograms(ctx, runs); // warm-up: pipelines compiled, buffers touched
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      await runPrograms(ctx, runs);
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(reps / 2)];
  };
  try {
    const directMs = await median([{ program: direct, buffers: { images: buffers.images, weights: buffers.weights, bias: buffers.bias, out: buffers.out } }]);
    const im2colMatmulMs = await median([
      { program: im2col, buffers: { images: buffers.images, cols: buffers.cols } },
      { program: product, buffers: { a: buffers.cols, b: buffers.b, c: buffers.c, bias: buffers.bias } },
    ]);
    return { directMs, im2colMatmulMs };
  } finally {
    for (const buffer of Object.values(buffers)) buffer.destroy();
  }
}

/**
 * The pipeline's convolution stage (GpuConvolvePool: im2col + matmul + pooling, batch by batch,
 * one submission each) against convolveFeatures + meanPool in float64, the pooled features
 * bounded as checkConvolutionAsMatmul bounds them. `batchImages` small forces several batches.
 */
export async function checkConvolvePoolStage(ctx: GpuContext, spec: ConvCheck & { batchImages: number }): Promise<{ check: CheckResult; submissions: number; batches: number }> {
  const shape: ConvShape = spec;
  const { images, weights, bias } = makeConvFixture(spec);
  const cd = convolvedDim(shape);
  const maps = spec.images * spec.features;
  const stage = GpuConvolvePool.create(ctx, { ...shape, poolDim: spec.poolDim }, weights, bias, spec.batchImages);
  try {
    const gpuPooled = (await stage.run(images, spec.images))!;
    const { product } = convolutionAsMatmul(ctx.adapterInfo, { ...shape, images: Math.min(spec.images, stage.batchImages) });
    const pool = meanPoolProgram({ maps, convDim: cd, poolDim: spec.poolDim });
    const z = convolvePreactivations(images, weights, bias, shape);
    const zAbs = convolvePreactivations(images, weights, bias, shape, true);
    const convolved = z.map((x) => 1 / (1 + Math.exp(-x)));
    const convolvedBounds = z.map((x, k) => sigmoidBound(x, roundoffBound(product.chainLength, 1, zAbs[k])));
    const pooled = meanPool(convolved, maps, cd, spec.poolDim);
    const carried = meanPool(convolvedBounds, maps, cd, spec.poolDim);
    const pooledBounds = pooled.map((mean, k) => carried[k] + roundoffBound(pool.chainLength, 0, mean + carried[k]));
    const check = compareElementwise('convolution stage (im2col + matmul + pool, batched)', { ...spec, variant: product.name }, gpuPooled, pooled, pooledBounds);
    return { check, submissions: stage.submissions, batches: Math.ceil(spec.images / stage.batchImages) };
  } finally {
    stage.destroy();
  }
}
