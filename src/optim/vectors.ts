/**
 * The vector operations of the first-order optimizers (gradient descent, SGD with momentum,
 * Adam), written once against UpdateBackend so that θ may live in a Float64Array
 * (cpuUpdateBackend) or in a GPU buffer (src/gpu/vectors.ts). Updates are only recorded: nothing
 * here returns a value that the CPU would have to wait for, except `read`.
 *
 * L-BFGS has its own backend interface (./lbfgs.ts), because it also needs the inner products
 * of each evaluation.
 */

/** θ-sized vectors and the elementwise updates on them. Every vector has `length` entries. */
export interface VectorBackend<V> {
  readonly length: number;
  /** A new zero vector. */
  create(): V;
  free(v: V): void;
  copy(dst: V, src: V): void;
  /** y ← y + a·x */
  axpy(a: number, x: V, y: V): void;
  /** x ← a·x */
  scale(a: number, x: V): void;
  /** The values of x (a wait on a GPU). */
  read(x: V): Promise<Float64Array>;
  /** dst ← values. */
  write(dst: V, values: ArrayLike<number>): void;
}

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ. */
  step: number;
}

/** The vector operations plus the fused elementwise step Adam needs. */
export interface UpdateBackend<V> extends VectorBackend<V> {
  /** m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − α·m̂/(√v̂ + ε) with bias-corrected m̂, v̂. */
  adamStep(theta: V, grad: V, m: V, v: V, settings: AdamSettings): void;
}

/** Adam's float64 step, the twin of shaders/adam.wgsl. */
export function adamStepCpu(theta: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array, s: AdamSettings): void {
  const c1 = 1 - s.beta1 ** s.step;
  const c2 = 1 - s.beta2 ** s.step;
  for (let i = 0; i < theta.length; i++) {
    const g = grad[i];
    m[i] = s.beta1 * m[i] + (1 - s.beta1) * g;
    v[i] = s.beta2 * v[i] + (1 - s.beta2) * g * g;
    theta[i] -= (s.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + s.epsilon);
  }
}

/** UpdateBackend over Float64Arrays of the given length. */
export function cpuUpdateBackend(length: number): UpdateBackend<Float64Array> {
  if (!(Number.isInteger(length) && length > 0)) throw new RangeError(`length must be a positive integer, got ${length}`);
  const check = (v: Float64Array) => {
    if (v.length !== length) throw new RangeError(`vector of ${v.length} values; the backend's have ${length}`);
  };
  return {
    length,
    create: () => new Float64Array(length),
    free: () => {},
    copy(dst, src) {
      check(dst);
      check(src);
      dst.set(src);
    },
    axpy(a, x, y) {
      for (let i = 0; i < length; i++) y[i] += a * x[i];
    },
    scale(a, x) {
      for (let i = 0; i < length; i++) x[i] *= a;
    },
    async read(x) {
      return Float64Array.from(x);
    },
    write(dst, values) {
      check(dst);
      if (values.length !== length) throw new RangeError(`${values.length} values for a vector of ${length}`);
      dst.set(values);
    },
    adamStep: adamStepCpu,
  };
}
