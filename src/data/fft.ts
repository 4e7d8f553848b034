/**
 * Complex FFTs of any length, for whitening photos of whatever size they come in (a
 * 512×375 image needs transforms of lengths 512 and 375). Powers of two use an iterative
 * radix-2 transform; every other length n uses Bluestein's algorithm, which writes the DFT as
 * a circular convolution with the chirp w_k = exp(−iπk²/n) and computes that convolution with
 * radix-2 transforms of a power of two ≥ 2n − 1. O(n log n) for every n, exact up to rounding.
 *
 * Conventions: forward X_j = Σ_k x_k e^(−2πijk/n); inverse x_k = (1/n) Σ_j X_j e^(+2πijk/n),
 * like MATLAB's fft and ifft. Arrays are split into real and imaginary parts, transformed in
 * place.
 */

export interface FftPlan {
  readonly size: number;
  /** In-place forward DFT of re + i·im. */
  forward(re: Float64Array, im: Float64Array): void;
  /** In-place inverse DFT, including the 1/n. */
  inverse(re: Float64Array, im: Float64Array): void;
}

const plans = new Map<number, FftPlan>();

/** The (cached) plan for transforms of length `size`. */
export function fftPlan(size: number): FftPlan {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`FFT length must be a positive integer, got ${size}`);
  let plan = plans.get(size);
  if (!plan) {
    plan = isPowerOfTwo(size) ? new Radix2Plan(size) : new BluesteinPlan(size);
    plans.set(size, plan);
  }
  return plan;
}

function isPowerOfTwo(n: number): boolean {
  return (n & (n - 1)) === 0;
}

abstract class BasePlan implements FftPlan {
  abstract readonly size: number;
  /** The unnormalized transform with e^(∓2πi/n): sign −1 forward, +1 inverse. */
  protected abstract transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void;

  forward(re: Float64Array, im: Float64Array): void {
    this.check(re, im);
    this.transform(re, im, -1);
  }

  inverse(re: Float64Array, im: Float64Array): void {
    this.check(re, im);
    this.transform(re, im, 1);
    const scale = 1 / this.size;
    for (let i = 0; i < this.size; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }

  private check(re: Float64Array, im: Float64Array): void {
    if (re.length !== this.size || im.length !== this.size) {
      throw new RangeError(`FFT of length ${this.size} given arrays of lengths ${re.length} and ${im.length}`);
    }
  }
}

class Radix2Plan extends BasePlan {
  readonly size: number;
  private readonly bitReversed: Uint32Array;
  /** cos and sin of 2πk/n for k < n/2. */
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    super();
    this.size = size;
    const bits = Math.round(Math.log2(size));
    this.bitReversed = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.bitReversed[i] = r;
    }
    const half = size >>> 1;
    this.cos = new Float64Array(half);
    this.sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  protected transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    const n = this.size;
    const rev = this.bitReversed;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    const cos = this.cos;
    const sin = this.sin;
    for (let span = 2; span <= n; span <<= 1) {
      const half = span >>> 1;
      const step = n / span;
      for (let start = 0; start < n; start += span) {
        for (let j = 0, k = 0; j < half; j++, k += step) {
          const wr = cos[k];
          const wi = sign * sin[k];
          const a = start + j;
          const b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}

class BluesteinPlan extends BasePlan {
  readonly size: number;
  private readonly inner: FftPlan;
  /** The chirp w_k = e^(−iπk²/n). */
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  /** The forward transform of the convolution kernel conj(w), wrapped around. */
  private readonly kernelRe: Float64Array;
  private readonly kernelIm: Float64Array;
  private readonly scratchRe: Float64Array;
  private readonly scratchIm: Float64Array;

  constructor(size: number) {
    super();
    this.size = size;
    let m = 1;
    while (m < 2 * size - 1) m <<= 1;
    this.inner = fftPlan(m);
    this.chirpRe = new Float64Array(size);
    this.chirpIm = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      // k² mod 2n keeps the angle small, so it stays exact for large k.
      const angle = (Math.PI * ((k * k) % (2 * size))) / size;
      this.chirpRe[k] = Math.cos(angle);
      this.chirpIm[k] = -Math.sin(angle);
    }
    this.kernelRe = new Float64Array(m);
    this.kernelIm = new Float64Array(m);
    this.kernelRe[0] = this.chirpRe[0];
    this.kernelIm[0] = -this.chirpIm[0];
    for (let k = 1; k < size; k++) {
      this.kernelRe[k] = this.kernelRe[m - k] = this.chirpRe[k];
      this.kernelIm[k] = this.kernelIm[m - k] = -this.chirpIm[k];
    }
    this.inner.forward(this.kernelRe, this.kernelIm);
    this.scratchRe = new Float64Array(m);
    this.scratchIm = new Float64Array(m);
  }

  protected transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    // The inverse is the conjugate of the forward transform of the conjugate.
    const n = this.size;
    const { chirpRe, chirpIm, kernelRe, kernelIm, scratchRe: ar, scratchIm: ai } = this;
    ar.fill(0);
    ai.fill(0);
    for (let k = 0; k < n; k++) {
      const xr = re[k];
      const xi = -sign * im[k]; // conjugated for the inverse (sign = +1)
      ar[k] = xr * chirpRe[k] - xi * chirpIm[k];
      ai[k] = xr * chirpIm[k] + xi * chirpRe[k];
    }
    this.inner.forward(ar, ai);
    for (let k = 0; k < ar.length; k++) {
      const r = ar[k] * kernelRe[k] - ai[k] * kernelIm[k];
      ai[k] = ar[k] * kernelIm[k] + ai[k] * kernelRe[k];
      ar[k] = r;
    }
    this.inner.inverse(ar, ai);
    for (let j = 0; j < n; j++) {
      const yr = ar[j] * chirpRe[j] - ai[j] * chirpIm[j];
      const yi = ar[j] * chirpIm[j] + ai[j] * chirpRe[j];
      re[j] = yr;
      im[j] = -sign * yi;
    }
  }
}

/**
 * In-place 2-D DFT of a height × width array stored row-major: every row, then every
 * column. `inverse` includes the 1/(width·height).
 */
export function fft2d(re: Float64Array, im: Float64Array, width: number, height: number, inverse = false): void {
  if (re.length !== width * height || im.length !== width * height) {
    throw new RangeError(`2-D FFT of ${width}×${height} given arrays of lengths ${re.length} and ${im.length}`);
  }
  const rowPlan = fftPlan(width);
  const columnPlan = fftPlan(height);
  for (let y = 0; y < height; y++) {
    const r = re.subarray(y * width, (y + 1) * width);
    const i = im.subarray(y * width, (y + 1) * width);
    if (inverse) rowPlan.inverse(r, i);
    else rowPlan.forward(r, i);
  }
  const columnRe = new Float64Array(height);
  const columnIm = new Float64Array(height);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      columnRe[y] = re[y * width + x];
      columnIm[y] = im[y * width + x];
    }
    if (inverse) columnPlan.inverse(columnRe, columnIm);
    else columnPlan.forward(columnRe, columnIm);
    for (let y = 0; y < height; y++) {
      re[y * width + x] = columnRe[y];
      im[y * width + x] = columnIm[y];
    }
  }
}
