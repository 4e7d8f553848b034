/**
 * The convolution and pooling kernels against their float64 twins (src/reference/conv.ts),
 * elementwise under the tolerance policy (./tolerance.ts), the reference handed exactly the
 * float32 values the GPU saw: the images, and W′ and b′ folded in float64 and rounded to float32.
 */
import { convolvedDim, convolvePreactivations, foldWhitening, meanPool, pooledDim, type ConvShape } from '../reference/conv';
import { Random } from '../random';
import { compareElementwise, type CheckResult } from './comparison';
import { convolveProgram, meanPoolProgram } from './conv-programs';
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
