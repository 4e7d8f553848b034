/**
 * (c) TensorFlow.js computing the same J(θ) as src/reference/autoencoder.ts — reconstruction +
 * weight decay + KL sparsity, θ packed the same way (UFLDL's [W1(:); W2(:); b1; b2]), float32 —
 * with its gradient by tf.variableGrads, the way a TensorFlow.js user would write it.
 *
 * Only the cost is read back; the gradient stays on the backend like the GPU pipeline's. On the
 * webgpu backend that read waits for everything queued before it, the gradient kernels included
 * (variableGrads records them before it returns).
 *
 * The caller imports the backends it wants (@tensorflow/tfjs-backend-cpu, -webgpu), which
 * register themselves with tfjs-core.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradients registered (the @tensorflow/tfjs bundle does this import).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { hyperparameters } from '../config';
import type { Evaluator } from '../cell';
import type { BenchInputs } from '../data';

export type TfjsBackendName = 'cpu' | 'webgpu';

let variables = 0;

export interface TfjsCost {
  /** J(θ) as a function of `theta`, for tf.variableGrads. */
  cost: () => tf.Scalar;
  theta: tf.Variable;
  x: tf.Tensor2D;
}

/** The benchmark's cost on the current backend: the data and θ uploaded once. */
export function tfjsCost(inputs: BenchInputs): TfjsCost {
  const { visibleSize: v, hiddenSize: h } = inputs.shape;
  const m = inputs.dataset.examples;
  const { sparsityParam: rho, lambda, beta } = hyperparameters;
  const hv = h * v;

  const x = tf.tensor2d(inputs.dataset.data, [m, v]);
  const theta = tf.variable(tf.tensor1d(Float32Array.from(inputs.theta)), true, `theta${variables++}`);

  const cost = (): tf.Scalar => {
    // Row-major views of θ's blocks: W1ᵀ (visible × hidden), W2ᵀ (hidden × visible), b1, b2.
    const w1t = tf.reshape(tf.slice(theta, 0, hv), [v, h]);
    const w2t = tf.reshape(tf.slice(theta, hv, hv), [h, v]);
    const b1 = tf.slice(theta, 2 * hv, h);
    const b2 = tf.slice(theta, 2 * hv + h, v);

    const a2 = tf.sigmoid(tf.add(tf.matMul(x, w1t), b1));
    const rhoHat = tf.mean(a2, 0);
    const a3 = tf.sigmoid(tf.add(tf.matMul(a2, w2t), b2));

    const reconstruction = tf.div(tf.sum(tf.square(tf.sub(a3, x))), 2 * m);
    const weightDecay = tf.mul(lambda / 2, tf.add(tf.sum(tf.square(w1t)), tf.sum(tf.square(w2t))));
    const kl = tf.sum(
      tf.add(
        tf.mul(rho, tf.log(tf.div(rho, rhoHat))),
        tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, rhoHat)))),
      ),
    );
    return tf.add(tf.add(reconstruction, weightDecay), tf.mul(beta, kl)) as tf.Scalar;
  };
  return { cost, theta, x };
}

export async function tfjsEvaluator(backend: TfjsBackendName, inputs: BenchInputs): Promise<Evaluator> {
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not start its ${backend} backend`);
  await tf.ready();
  const { cost, theta, x } = tfjsCost(inputs);
  return {
    async evaluate() {
      const { value, grads } = tf.variableGrads(cost, [theta]);
      const [j] = await value.data();
      tf.dispose([value, ...Object.values(grads)]);
      return j;
    },
    destroy() {
      x.dispose();
      theta.dispose();
    },
    notes: [`tfjs-core ${tf.version_core}, backend ${tf.getBackend()}`],
  };
}
