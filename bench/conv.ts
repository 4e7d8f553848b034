/**
 * npm run bench:conv — convolution and pooling on this machine's adapter.
 *
 * 1. The two ways of convolving F features over the digits (28×28, 8×8 features): the direct
 *    kernel (shaders/convolve.wgsl) and im2col + the project's matmul with its sigmoid epilogue.
 *    Median of 3 submissions after a warm-up, each waited for.
 * 2. The whole convolution-and-pooling stage as `classify --task conv` runs it
 *    (GpuConvolvePool: uploads, one submission per batch of images, read-backs), in images per
 *    second, beside its float64 twin (convolveFeatures + meanPool) on fewer images: at
 *    cnnExercise's size (64×64×3 images, 400 features of 8×8×3, pool 19) and at the digits'
 *    (28×28, the task's 200 features of 8×8, pool 7). Median of 3 after a warm-up.
 * Node only: this bench has no Chromium path yet.
 */
import { makeConvFixture, timeConvolutions } from '../src/gpu/conv-checks';
import { GpuConvolvePool } from '../src/gpu/conv-pool';
import { createNodeGpuContext } from '../src/gpu/node';
import { convolvedDim, convolveFeatures, meanPool } from '../src/reference/conv';

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ctx = await createNodeGpuContext();
try {
  console.log(`adapter: ${ctx.adapterInfo.description || ctx.adapterInfo.vendor}`);
  for (const [images, features] of [
    [50, 400],
    [200, 100],
  ]) {
    const t = await timeConvolutions(ctx, { images, channels: 1, imageDim: 28, features, patchDim: 8 }, 3);
    console.log(`${images} digits × ${features} features: direct ${t.directMs.toFixed(1)} ms, im2col + matmul ${t.im2colMatmulMs.toFixed(1)} ms (im2col + matmul takes ${(t.im2colMatmulMs / t.directMs).toFixed(2)} of the direct time)`);
  }

  const stages = [
    { name: "cnnExercise's size", images: 48, cpuImages: 2, channels: 3, imageDim: 64, features: 400, patchDim: 8, poolDim: 19 },
    { name: "the digits' size", images: 1000, cpuImages: 20, channels: 1, imageDim: 28, features: 200, patchDim: 8, poolDim: 7 },
  ];
  for (const s of stages) {
    const { images, weights, bias } = makeConvFixture(s);
    const stage = GpuConvolvePool.create(ctx, s, weights, bias);
    let gpuPerSecond: number;
    try {
      await stage.run(images, s.images); // warm-up: pipelines compiled
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const start = performance.now();
        await stage.run(images, s.images);
        times.push(performance.now() - start);
      }
      gpuPerSecond = (1000 * s.images) / median(times);
    } finally {
      stage.destroy();
    }
    const cd = convolvedDim(s);
    const few = images.subarray(0, s.cpuImages * s.channels * s.imageDim * s.imageDim);
    const cpuTimes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      meanPool(convolveFeatures(few, weights, bias, { ...s, images: s.cpuImages }), s.cpuImages * s.features, cd, s.poolDim);
      cpuTimes.push(performance.now() - start);
    }
    const cpuPerSecond = (1000 * s.cpuImages) / median(cpuTimes);
    console.log(
      `convolution + pooling stage, ${s.name} (${s.imageDim}×${s.imageDim}×${s.channels}, ${s.features} features of ${s.patchDim}×${s.patchDim}, pool ${s.poolDim}; batches of ${stage.batchImages}): ` +
        `WebGPU ${gpuPerSecond.toFixed(1)} images/s over ${s.images}, float64 CPU ${cpuPerSecond.toFixed(2)} images/s over ${s.cpuImages} (${(gpuPerSecond / cpuPerSecond).toFixed(1)}×)`,
    );
  }
} finally {
  ctx.destroy();
}
