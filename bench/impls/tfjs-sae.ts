/**
 * The TopK SAE's training step of src/train/sae-trainer.ts written with TensorFlow.js, the way a
 * TensorFlow.js user would write it, for `npm run bench:sae`'s rows beside the project's GPU step:
 *
 *   xc = x − b_dec, pre = xc·W_enc + b_enc, z = ReLU(TopK_k(pre)) (tf.topk's k-th value as the
 *   threshold: ties at it all pass, which random pre-activations do not meet), x̂ = z·W_dec + b_dec,
 *   L = mean_b ‖x − x̂‖²;
 *   AuxK: the top kAux pre-activations among the dead latents (not fired for `deadAfter` examples,
 *   counted on the device) reconstruct e = x − x̂ (held constant), + (1/32)·mean_b ‖e − ê‖² when
 *   any latent is dead (computed every step, as the GPU computes it);
 *   gradients by tf.variableGrads (the selection's by tf.customGrad: δ to the kept latents with
 *   z > 0), the component of ∇W_dec along each decoder row removed, Adam (tf.train.adam, β 0.9,
 *   0.999, ε 1e-8), the decoder rows renormalised to unit norm.
 *
 * θ₀ is the same float32 values as the GPU's (saeLayout's packing: W_enc d × h, W_dec h × d,
 * b_enc, b_dec). Nothing is read back between steps; `step` returns the loss as a tensor and the
 * caller reads the last one of a group (which waits for all queued work on webgpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { AUXK_COEFFICIENT, saeLayout, type SaeShape } from '../../src/reference/sae';

export interface TfjsSaeSettings {
  k: number;
  /** 0: no AuxK. */
  auxK: number;
  deadAfter: number;
  learningRate: number;
}

export interface TfjsSae {
  /** One training step on rows [start, start + count) of the data; the loss (L + AuxK term) as a scalar tensor. */
  step(start: number, count: number): tf.Scalar;
  /** The reconstruction term alone of the last step (for the first step's check). */
  lastReconstruction(): Promise<number>;
  destroy(): void;
  notes: string[];
}

/** ReLU(TopK_k(pre)) row-wise, gradient to the kept latents with z > 0 only. */
function topKRelu(k: number): (pre: tf.Tensor2D) => tf.Tensor2D {
  const f = (pre: tf.Tensor, save: tf.GradSaveFunc) => {
    const { values } = tf.topk(pre, k);
    const kth = tf.slice(values, [0, k - 1], [-1, 1]);
    const kept = tf.cast(tf.logicalAnd(tf.greaterEqual(pre, kth), tf.greater(pre, 0)), 'float32');
    save([kept]);
    return { value: tf.mul(pre, kept), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
  };
  return tf.customGrad(f as unknown as CustomGradient) as unknown as (pre: tf.Tensor2D) => tf.Tensor2D;
}

/** The tensor's value with no gradient through it (AuxK's residual e). */
const detach = tf.customGrad(((t: tf.Tensor) => ({ value: tf.clone(t), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as CustomGradient) as unknown as <T extends tf.Tensor>(t: T) => T;

type CustomGradient = Parameters<typeof tf.customGrad>[0];

export function tfjsSae(shape: SaeShape, data: Float32Array, examples: number, theta0: ArrayLike<number>, s: TfjsSaeSettings): TfjsSae {
  const { inputs: d, latents: h } = shape;
  const L = saeLayout(shape);
  const block = (offset: number, length: number) => Float32Array.from({ length }, (_, i) => theta0[offset + i]);
  const x = tf.tensor2d(data, [examples, d]);
  const wEnc = tf.variable(tf.tensor2d(block(L.W1, d * h), [d, h]), true, `wEnc${serial}`);
  const wDec = tf.variable(tf.tensor2d(block(L.W2, h * d), [h, d]), true, `wDec${serial}`);
  const bEnc = tf.variable(tf.tensor1d(block(L.b1, h)), true, `bEnc${serial}`);
  const bDec = tf.variable(tf.tensor1d(block(L.b2, d)), true, `bDec${serial}`);
  const sinceFired = tf.variable(tf.zeros([h]), false, `sinceFired${serial}`);
  serial++;
  const optimizer = tf.train.adam(s.learningRate, 0.9, 0.999, 1e-8);
  const select = topKRelu(s.k);
  const selectAux = s.auxK > 0 ? topKRelu(s.auxK) : null;
  let reconstruction: tf.Scalar | null = null;

  return {
    step(start, count) {
      return tf.tidy(() => {
        const xb = tf.slice(x, [start, 0], [count, d]);
        const dead = tf.cast(tf.greaterEqual(sinceFired, s.deadAfter), 'float32');
        let fired: tf.Tensor | null = null;
        let rec: tf.Scalar | null = null;
        const loss = (): tf.Scalar => {
          const pre = tf.add(tf.matMul(tf.sub(xb, bDec), wEnc), bEnc) as tf.Tensor2D;
          const z = select(pre);
          fired = tf.keep(tf.greater(tf.max(z, 0), 0));
          const xHat = tf.add(tf.matMul(z, wDec), bDec);
          const e = tf.sub(xb, xHat);
          rec = tf.keep(tf.div(tf.sum(tf.square(e)), count) as tf.Scalar);
          if (!selectAux) return rec;
          // Live latents pushed to −1e30: never among the top kAux while a dead one is left, 0 after the ReLU.
          const zAux = selectAux(tf.add(pre, tf.mul(tf.sub(dead, 1), 1e30)) as tf.Tensor2D);
          const eHat = tf.matMul(zAux, wDec);
          const aux = tf.div(tf.sum(tf.square(tf.sub(detach(e), eHat))), count);
          return tf.add(rec, tf.mul(aux, tf.mul(AUXK_COEFFICIENT, tf.max(dead)))) as tf.Scalar;
        };
        const { value, grads } = tf.variableGrads(loss, [wEnc, wDec, bEnc, bDec]);
        // The gradient's component along each (unit) decoder row removed, then Adam, then unit rows again.
        const g = grads[wDec.name];
        grads[wDec.name] = tf.sub(g, tf.mul(tf.sum(tf.mul(g, wDec), 1, true), wDec));
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
        wDec.assign(tf.div(wDec, tf.norm(wDec, 'euclidean', 1, true)));
        sinceFired.assign(tf.where(fired!, tf.zerosLike(sinceFired), tf.add(sinceFired, count)));
        tf.dispose(fired!);
        reconstruction?.dispose();
        reconstruction = tf.keep(rec!);
        return value;
      });
    },
    async lastReconstruction() {
      return reconstruction ? (await reconstruction.data())[0] : NaN;
    },
    destroy() {
      reconstruction?.dispose();
      optimizer.dispose();
      tf.dispose([x, wEnc, wDec, bEnc, bDec, sinceFired]);
    },
    notes: [`tfjs-core ${tf.version_core}, backend ${tf.getBackend()}`],
  };
}

let serial = 0;
