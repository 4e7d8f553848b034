/**
 * One cost+gradient evaluation of the GPU pipeline in Node, timed as the benchmark does (median
 * after warm-up) and checked against the float64 reference, at the benchmark's two sizes. Meant
 * for a machine with a real GPU (bench/device/run.sh); prints one JSON line per size.
 */
import { createNodeGpuContext } from '../../src/gpu/node';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { relativeNorm } from '../../src/gpu/comparison';
import { Random } from '../../src/random';
import { sparseAutoencoderCost, UFLDL_HYPERPARAMETERS } from '../../src/reference/autoencoder';
import { initializeParameters } from '../../src/reference/params';

const sizes = [
  [10000, 64, 25],
  [10000, 784, 196],
] as const;
const hyper = UFLDL_HYPERPARAMETERS;
const ctx = await createNodeGpuContext({ powerPreference: 'high-performance' });
console.log(JSON.stringify({ adapter: ctx.adapterInfo }));
for (const [m, v, h] of sizes) {
  const rng = new Random(7);
  const data = Float64Array.from(Float32Array.from({ length: m * v }, () => 0.1 + 0.8 * rng.uniform()));
  const shape = { visibleSize: v, hiddenSize: h };
  const theta = Float64Array.from(Float32Array.from(initializeParameters(shape, 3)));
  const dataset = { data, examples: m, visibleSize: v };
  const ref = sparseAutoencoderCost(theta, shape, hyper, dataset);
  const model = await GpuSparseAutoencoder.create(ctx, shape, hyper, dataset, { theta });
  const first = await model.evaluate();
  const grad = await model.readGradient();
  for (let i = 0; i < 3; i++) await model.evaluate();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await model.evaluate();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      m,
      visible: v,
      hidden: h,
      medianMs: times[10],
      minMs: times[0],
      costRelativeError: Math.abs(first.cost - ref.cost) / ref.cost,
      gradientRelativeNorm: relativeNorm(grad, ref.grad),
      variant: model.config,
    }),
  );
  model.destroy();
}
ctx.destroy();
process.exit(0);
