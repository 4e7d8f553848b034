/**
 * cnnConvolve and cnnPool on the GPU (shaders/convolve.wgsl, shaders/mean_pool.wgsl) against
 * their float64 twins (src/reference/conv.ts) at small awkward sizes; and the twins against
 * the definitions they come from.
 */
import { describe, expect, it } from 'vitest';
import { checkConvolutionAndPooling, checkConvolutionAsMatmul, checkConvolvePoolStage, checkMeanPool } from '../../src/gpu/conv-checks';
import { convolveFeatures, convolvePreactivations, foldWhitening, meanPool } from '../../src/reference/conv';
import { Random } from '../../src/random';
import { expectPass, useGpuContext } from './context';

const gpu = useGpuContext();

describe('float64 twins', () => {
  it('folding T and x̄ into W, b gives σ(W·T·(x − x̄) + b) on a patch', () => {
    const rng = new Random(4);
    const [F, p, C] = [3, 3, 2];
    const v = C * p * p;
    const W = Float64Array.from({ length: F * v }, () => rng.normal());
    const b = Float64Array.from({ length: F }, () => rng.normal());
    const T = Float64Array.from({ length: v * v }, () => rng.normal());
    const mean = Float64Array.from({ length: v }, () => rng.uniform());
    // One image exactly the size of a patch: its one position is the patch itself.
    const patch = Float64Array.from({ length: v }, () => rng.uniform());
    const { weights, bias } = foldWhitening(W, b, T, mean, F, v);
    const got = convolveFeatures(patch, weights, bias, { images: 1, channels: C, imageDim: p, features: F, patchDim: p });
    for (let f = 0; f < F; f++) {
      let z = b[f];
      for (let k = 0; k < v; k++) {
        let white = 0;
        for (let j = 0; j < v; j++) white += T[k * v + j] * (patch[j] - mean[j]);
        z += W[f * v + k] * white;
      }
      expect(got[f]).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
    }
  });

  it('the im2col twin gives cnnConvolve’s nested sum at every image, feature and position (and Σ|terms| with absolute)', () => {
    const rng = new Random(6);
    const shape = { images: 3, channels: 2, imageDim: 7, features: 5, patchDim: 3 };
    const { images: n, channels: C, imageDim: dim, features: F, patchDim: p } = shape;
    const v = C * p * p;
    const cd = dim - p + 1;
    const images = Float64Array.from({ length: n * C * dim * dim }, () => rng.normal());
    const weights = Float64Array.from({ length: F * v }, () => rng.normal());
    const bias = Float64Array.from({ length: F }, () => rng.normal());
    const z = convolvePreactivations(images, weights, bias, shape);
    const zAbs = convolvePreactivations(images, weights, bias, shape, true);
    expect(z).toHaveLength(n * F * cd * cd);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < F; f++) {
        for (let r = 0; r < cd; r++) {
          for (let c = 0; c < cd; c++) {
            let sum = bias[f];
            let sumAbs = Math.abs(bias[f]);
            for (let ch = 0; ch < C; ch++) {
              for (let y = 0; y < p; y++) {
                for (let x = 0; x < p; x++) {
                  const term = weights[f * v + (ch * p + y) * p + x] * images[((i * C + ch) * dim + r + y) * dim + c + x];
                  sum += term;
                  sumAbs += Math.abs(term);
                }
              }
            }
            const at = ((i * F + f) * cd + r) * cd + c;
            expect(Math.abs(z[at] - sum)).toBeLessThan(1e-13 * sumAbs);
            expect(zAbs[at]).toBeCloseTo(sumAbs, 12);
          }
        }
      }
    }
  });

  it('a feature that picks one pixel convolves to that pixel’s σ at each position; pooling drops the ragged edge', () => {
    const dim = 5;
    const image = Float64Array.from({ length: dim * dim }, (_, k) => k / 25);
    const weights = new Float64Array(4);
    weights[3] = 1; // pixel (1, 1) of a 2×2 patch
    const out = convolveFeatures(image, weights, [0], { images: 1, channels: 1, imageDim: dim, features: 1, patchDim: 2 });
    expect(out).toHaveLength(16);
    expect(out[1 * 4 + 2]).toBeCloseTo(1 / (1 + Math.exp(-image[2 * dim + 3])), 15);
    const pooled = meanPool(Float64Array.from({ length: 16 }, (_, k) => k), 1, 4, 3);
    expect([...pooled]).toEqual([(0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 9]);
  });
});

describe('convolution and pooling on the GPU', () => {
  it('2 channels, 13×13 images, 7 features of 5×5, pooled by 3 (9 → 3×3)', async () => {
    expectPass(await checkConvolutionAndPooling(gpu(), { images: 3, channels: 2, imageDim: 13, features: 7, patchDim: 5, poolDim: 3 }));
  });

  it('1 channel, 28×28 digits, 5 features of 8×8, pooled by 7 (21 → 3×3): the digits’ size', async () => {
    expectPass(await checkConvolutionAndPooling(gpu(), { images: 2, channels: 1, imageDim: 28, features: 5, patchDim: 8, poolDim: 7 }));
  });

  it('as im2col + matmul (σ epilogue) and position-major pooling: 2 channels, 13×13, 7 features of 5×5 (v = 50, padded to 52), pooled by 4 (9 → 2×2)', async () => {
    expectPass(await checkConvolutionAsMatmul(gpu(), { images: 3, channels: 2, imageDim: 13, features: 7, patchDim: 5, poolDim: 4 }));
  });

  it('pools a ragged edge away (10 → 3 regions of 3) on exact inputs', async () => {
    expectPass(await checkMeanPool(gpu(), { maps: 11, convDim: 10, poolDim: 3 }));
  });
});

describe('the pipeline’s convolution stage', () => {
  it('digits’ geometry, 7 images in batches of 3 (3 submissions), 6 features of 8×8 pooled by 7, against float64', async () => {
    const { check, submissions, batches } = await checkConvolvePoolStage(gpu(), { images: 7, channels: 1, imageDim: 28, features: 6, patchDim: 8, poolDim: 7, batchImages: 3 });
    expectPass([check]);
    expect(batches).toBe(3);
    expect(submissions).toBe(3);
  });

  it('color: 3 channels, 16×16 images, 5 features of 4×4 (v = 48) pooled by 6 (13 → 2×2), one batch', async () => {
    const { check, submissions } = await checkConvolvePoolStage(gpu(), { images: 4, channels: 3, imageDim: 16, features: 5, patchDim: 4, poolDim: 6, batchImages: 10 });
    expectPass([check]);
    expect(submissions).toBe(1);
  });
});
