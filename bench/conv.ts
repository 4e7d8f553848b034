/**
 * npm run bench:conv — the two ways of convolving F features over the digits (28×28, 8×8
 * features, as cnnExercise's pipeline will on MNIST) timed on this machine's adapter: the
 * direct kernel (shaders/convolve.wgsl) and im2col + the project's matmul with its sigmoid
 * epilogue. Median of 3 submissions after a warm-up, each waited for.
 */
import { timeConvolutions } from '../src/gpu/conv-checks';
import { createNodeGpuContext } from '../src/gpu/node';

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
} finally {
  ctx.destroy();
}
