// Per-evaluation time of GpuSparseAutoencoder (one submission + the 4-scalar read-back), median
// and minimum of several evaluations after warm-up, at the two reference shapes.
//   npx tsx --import ./scripts/register-wgsl.mjs bench/tune/evaluate-timing.ts [variant] [--profile] [--unfused]
// --profile adds a per-kernel table (src/gpu/profile.ts): the median over five profiled
// evaluations of each step's time, from timestamp queries where the adapter has them.
// --unfused evaluates with the step-by-step kernels (no fused matmul epilogues), the baseline.
// The machine is shared: the 1-minute load average is printed beside each result.
import { loadavg } from 'node:os';
import type { MatmulVariant } from '../../src/gpu/adapter';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import { createNodeGpuContext } from '../../src/gpu/node';
import { formatProfile, medianProfile, profileEvaluation } from '../../src/gpu/profile';

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const fused = !args.includes('--unfused');
const variant = args.find((a) => !a.startsWith('--')) as MatmulVariant | undefined;
const ctx = await createNodeGpuContext();
console.log(`adapter: ${ctx.adapterInfo.description || ctx.adapterInfo.vendor}`);
for (const [m, v, h, runs] of [
  [10000, 64, 25, 21],
  [10000, 784, 196, 7],
]) {
  const { data, theta } = makeFixture(m, v, h, 1);
  const model = await GpuSparseAutoencoder.create(ctx, { visibleSize: v, hiddenSize: h }, DEFAULT_HYPERPARAMETERS, { data, examples: m, visibleSize: v }, { theta, matmulVariant: variant, fused });
  for (let i = 0; i < 3; i++) await model.evaluate();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await model.evaluate();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `(m, v, h) = (${m}, ${v}, ${h}) ${model.config.matmul}${model.fused ? ' fused' : ' unfused'}, ${model.programs.length} dispatches: median ${median.toFixed(1)} ms, min ${times[0].toFixed(1)} ms over ${runs} evaluations; load average ${loadavg()[0].toFixed(2)}`,
  );
  if (profile) {
    const profiles = [];
    for (let i = 0; i < 5; i++) profiles.push(await profileEvaluation(ctx, model));
    console.log(formatProfile(medianProfile(profiles)));
  }
  model.destroy();
}
ctx.destroy();
