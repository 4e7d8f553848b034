/**
 * A drawn digit made into an MNIST digit, as MNIST's own were prepared (LeCun et al.): the ink's
 * bounding box scaled to fit 20×20 keeping its aspect ratio (gray levels by area averaging), then
 * placed in a 28×28 field so that its centre of mass lies at the centre. Without this, a digit
 * drawn small or off to one side looks nothing like the training data. Also the softmax of
 * logits and the responses of a first layer of sigmoid features, in float64. No DOM here
 * (test/pages/digit-pad.test.ts).
 */

export const MNIST_SIDE = 28;
/** The side of the box the ink is scaled into. */
export const INK_BOX = 20;

/**
 * `ink`: width × height values in [0, 1], row-major (1 = ink). Returns 28 × 28 row-major values
 * in [0, 1]; all zeros when nothing was drawn.
 */
export function mnistDigitFromInk(ink: ArrayLike<number>, width: number, height: number): Float32Array {
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return out;
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = INK_BOX / Math.max(boxWidth, boxHeight);
  const w = Math.max(1, Math.round(boxWidth * scale));
  const h = Math.max(1, Math.round(boxHeight * scale));
  // Area averaging: each small pixel is the mean of the ink under its footprint.
  const small = new Float64Array(w * h);
  const sx = boxWidth / w;
  const sy = boxHeight / h;
  for (let j = 0; j < h; j++) {
    const y0 = j * sy;
    const y1 = y0 + sy;
    for (let i = 0; i < w; i++) {
      const x0 = i * sx;
      const x1 = x0 + sx;
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const cy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const cx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += cx * cy * ink[(top + y) * width + left + x];
        }
      }
      small[j * w + i] = sum / (sx * sy);
    }
  }
  // The centre of mass of the scaled ink, moved to the field's centre (14, 14).
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const v = small[j * w + i];
      mass += v;
      mx += v * (i + 0.5);
      my += v * (j + 0.5);
    }
  }
  const clamp = (value: number, size: number) => Math.min(Math.max(value, 0), MNIST_SIDE - size);
  const offsetX = clamp(Math.round(MNIST_SIDE / 2 - mx / mass), w);
  const offsetY = clamp(Math.round(MNIST_SIDE / 2 - my / mass), h);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) out[(offsetY + j) * MNIST_SIDE + offsetX + i] = Math.min(1, small[j * w + i]);
  }
  return out;
}

/** The centre of mass (x, y) of a 28 × 28 digit, in pixel units (a pixel's centre at +0.5). */
export function centreOfMass(digit: ArrayLike<number>): { x: number; y: number } {
  let [mass, x, y] = [0, 0, 0];
  for (let r = 0; r < MNIST_SIDE; r++) {
    for (let c = 0; c < MNIST_SIDE; c++) {
      const v = digit[r * MNIST_SIDE + c];
      mass += v;
      x += v * (c + 0.5);
      y += v * (r + 0.5);
    }
  }
  return { x: x / mass, y: y / mass };
}

/** Probabilities from logits, shifted by their largest for float range. */
export function softmaxOf(logits: ArrayLike<number>): Float64Array {
  const max = Math.max(...Array.from(logits));
  const p = Float64Array.from(logits, (z) => Math.exp(z - max));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / sum);
}

/**
 * A first layer of sigmoid features a_j = σ(Σᵢ xᵢ·W[i·outputs + j] + b_j): W row-major
 * inputs × outputs at `W` in θ, b at `b` (the packing of both an autoencoder's W1ᵀ and a
 * classifier's layer). Returns the `count` strongest, strongest first.
 */
export function strongestFeatures(
  theta: ArrayLike<number>,
  layer: { W: number; b: number; inputs: number; outputs: number },
  x: ArrayLike<number>,
  count: number,
): { unit: number; activation: number }[] {
  const { W, b, inputs, outputs } = layer;
  const z = new Float64Array(outputs);
  for (let j = 0; j < outputs; j++) z[j] = theta[b + j];
  for (let i = 0; i < inputs; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let j = 0; j < outputs; j++) z[j] += xi * theta[W + i * outputs + j];
  }
  return Array.from(z, (value, unit) => ({ unit, activation: 1 / (1 + Math.exp(-value)) }))
    .sort((p, q) => q.activation - p.activation || p.unit - q.unit)
    .slice(0, count);
}

/**
 * conv: the convolution features a drawn digit moves most. A feature's pooled map (pooledDim²
 * σ means, image-major as cnnPool leaves them: feature f's map at f·pooledDim²) is compared with
 * its response to blank paper, σ(b′_f), where no ink is: its strength is the largest rise over
 * that among its cells. (The largest pooled value alone would name the features that respond to
 * background, which fill every map of every digit.) Strongest first.
 */
export function strongestPooledFeatures(
  pooled: ArrayLike<number>,
  bias: ArrayLike<number>,
  pooledDim: number,
  count: number,
): { unit: number; strength: number }[] {
  const cells = pooledDim * pooledDim;
  const features = bias.length;
  if (pooled.length !== features * cells) throw new RangeError(`${pooled.length} pooled values are not ${features} maps of ${pooledDim}×${pooledDim}`);
  return Array.from({ length: features }, (_, unit) => {
    const blank = 1 / (1 + Math.exp(-bias[unit]));
    let strength = -Infinity;
    for (let k = 0; k < cells; k++) strength = Math.max(strength, pooled[unit * cells + k] - blank);
    return { unit, strength };
  })
    .sort((p, q) => q.strength - p.strength || p.unit - q.unit)
    .slice(0, count);
}
