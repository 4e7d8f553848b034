/**
 * UFLDL's cnnConvolve.m and cnnPool.m in float64: the float64 twins of shaders/convolve.wgsl and
 * shaders/mean_pool.wgsl (src/gpu/conv-programs.ts).
 *
 * Layouts (row-major throughout, channel planes as src/data/color.ts lays out a color patch):
 *   images     n × C × dim × dim                 image i, channel ch, pixel (y, x)
 *   features   F × (C·p·p)                       W: feature f's weights laid out as a patch
 *   convolved  n × F × convDim × convDim         convDim = dim − p + 1 (valid convolution)
 *   pooled     n × F × pooledDim × pooledDim     pooledDim = ⌊convDim / poolDim⌋
 * Image-major (UFLDL's convolvedFeatures is feature-major) so that an image's pooled features
 * are one contiguous row, the softmax's input.
 *
 * The features were learned on whitened patches: a patch x gives σ(W·T·(x − x̄) + b). Folding
 * the whitening T and the mean patch x̄ into the weights, W′ = W·T and b′ = b − W′·x̄ (foldWhitening),
 * leaves one dot product per feature and position: σ(W′·x + b′), as cnnConvolve does.
 */

import { matmul, sigmoid } from './ops';

export interface ConvShape {
  images: number;
  channels: number;
  /** Side of the square images. */
  imageDim: number;
  features: number;
  /** Side of the square patches the features were learned on. */
  patchDim: number;
}

export function convolvedDim(shape: Pick<ConvShape, 'imageDim' | 'patchDim'>): number {
  const d = shape.imageDim - shape.patchDim + 1;
  if (!(Number.isInteger(d) && d >= 1)) throw new RangeError(`a ${shape.patchDim}×${shape.patchDim} patch does not fit a ${shape.imageDim}×${shape.imageDim} image`);
  return d;
}

export function pooledDim(convDim: number, poolDim: number): number {
  if (!(Number.isInteger(poolDim) && poolDim >= 1 && poolDim <= convDim)) throw new RangeError(`pooling regions of ${poolDim} do not fit a ${convDim}×${convDim} convolved feature`);
  return Math.floor(convDim / poolDim);
}

/** W′ = W·T (F × v) and b′ = b − W′·x̄: the whitening and the mean patch folded into the features. */
export function foldWhitening(
  W: ArrayLike<number>,
  b: ArrayLike<number>,
  whitening: ArrayLike<number>,
  meanPatch: ArrayLike<number>,
  features: number,
  v: number,
): { weights: Float64Array; bias: Float64Array } {
  if (W.length !== features * v || b.length !== features || whitening.length !== v * v || meanPatch.length !== v) {
    throw new RangeError(`folding: W ${W.length}, b ${b.length}, T ${whitening.length}, x̄ ${meanPatch.length} do not fit ${features} features of ${v} values`);
  }
  const weights = new Float64Array(features * v);
  const bias = new Float64Array(features);
  for (let f = 0; f < features; f++) {
    for (let j = 0; j < v; j++) {
      let sum = 0;
      for (let k = 0; k < v; k++) sum += W[f * v + k] * whitening[k * v + j];
      weights[f * v + j] = sum;
    }
    let shift = 0;
    for (let j = 0; j < v; j++) shift += weights[f * v + j] * meanPatch[j];
    bias[f] = b[f] - shift;
  }
  return { weights, bias };
}

/**
 * The pre-activations z = W′·x + b′ at every valid position, and with `absolute` Σ|W′||x| + |b′|
 * instead (Σ|terms| of the round-off bound). Layout: convolved, above.
 *
 * Image by image as im2col does it: the image's patches become the rows of a positions × v
 * matrix, laid out as a feature's weights are, and one matmul with Wᵀ gives every feature at
 * every position (the same dot products as six nested loops, in ops.ts's blocked matmul).
 */
export function convolvePreactivations(images: ArrayLike<number>, weights: ArrayLike<number>, bias: ArrayLike<number>, shape: ConvShape, absolute = false): Float64Array {
  const { images: n, channels: C, imageDim: dim, features: F, patchDim: p } = shape;
  const cd = convolvedDim(shape);
  const v = C * p * p;
  if (images.length !== n * C * dim * dim || weights.length !== F * v || bias.length !== F) {
    throw new RangeError(`convolution: ${images.length} image values, ${weights.length} weights, ${bias.length} biases do not fit ${JSON.stringify(shape)}`);
  }
  if (absolute) return convolvePreactivations(Float64Array.from(images, Math.abs), Float64Array.from(weights, Math.abs), Float64Array.from(bias, Math.abs), shape);
  const positions = cd * cd;
  const out = new Float64Array(n * F * positions);
  const patches = new Float64Array(positions * v);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let r = 0; r < cd; r++) {
      for (let c = 0; c < cd; c++) {
        for (let ch = 0; ch < C; ch++) {
          for (let y = 0; y < p; y++) {
            const row = ((i * C + ch) * dim + r + y) * dim + c;
            for (let x = 0; x < p; x++) patches[k++] = images[row + x];
          }
        }
      }
    }
    const z = matmul(patches, weights, positions, F, v, false, true); // positions × F
    for (let f = 0; f < F; f++) {
      const base = (i * F + f) * positions;
      for (let q = 0; q < positions; q++) out[base + q] = z[q * F + f] + bias[f];
    }
  }
  return out;
}

/** cnnConvolve: σ(W′·x + b′) at every valid position. */
export function convolveFeatures(images: ArrayLike<number>, weights: ArrayLike<number>, bias: ArrayLike<number>, shape: ConvShape): Float64Array {
  const z = convolvePreactivations(images, weights, bias, shape);
  for (let i = 0; i < z.length; i++) z[i] = sigmoid(z[i]);
  return z;
}

/**
 * cnnPool: the mean over each poolDim × poolDim region of a grid laid from the top-left corner;
 * rows and columns past the last whole region are left out, as cnnPool's floor does.
 * `maps` is the number of convolved maps (images × features), each convDim × convDim.
 */
export function meanPool(convolved: ArrayLike<number>, maps: number, convDim: number, poolDim: number): Float64Array {
  const pd = pooledDim(convDim, poolDim);
  if (convolved.length !== maps * convDim * convDim) throw new RangeError(`pooling: ${convolved.length} values are not ${maps} maps of ${convDim}×${convDim}`);
  const out = new Float64Array(maps * pd * pd);
  for (let m = 0; m < maps; m++) {
    for (let pr = 0; pr < pd; pr++) {
      for (let pc = 0; pc < pd; pc++) {
        let sum = 0;
        for (let y = 0; y < poolDim; y++) for (let x = 0; x < poolDim; x++) sum += convolved[(m * convDim + pr * poolDim + y) * convDim + pc * poolDim + x];
        out[(m * pd + pr) * pd + pc] = sum / (poolDim * poolDim);
      }
    }
  }
  return out;
}
