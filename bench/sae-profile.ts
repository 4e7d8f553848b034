// Where one evaluation of the TopK SAE (AuxK on, half the latents dead) goes at a size of
// `npm run bench:sae`, per kernel (src/gpu/profile.ts), on the dense or sparse decoder path:
//   npx tsx --import ./scripts/register-wgsl.mjs bench/sae-profile.ts small|large [dense|sparse] [--kernels] [--k N]
// (--k: another k than the size's, to find where the sparse path stops paying)
// Both paths side by side (or the one named): after one warm-up each, their evaluations
// alternate (15 each at small, 3 at large; one submission and the cost's read-back each) and the
// medians are printed; with --kernels one profiled evaluation of each. The machine may be shared: the
// 1-minute load average is printed beside each figure.
import { loadavg } from 'node:os';
import { GpuTopKAutoencoder } from '../src/gpu/sae';
import { createNodeGpuContext } from '../src/gpu/node';
import { formatProfile, profileEvaluation } from '../src/gpu/profile';
import { batchForIteration } from '../src/train/trainer';
import { saeBenchInputs, saeSizes, type SaeSizeName } from './sae-inputs';

const size = (process.argv[2] ?? 'small') as SaeSizeName;
const only = process.argv[3] as string | undefined;
if (!(size in saeSizes) || (only !== undefined && !only.startsWith('--') && !['dense', 'sparse'].includes(only))) throw new Error('usage: bench/sae-profile.ts small|large [dense|sparse] [--kernels]');
const decoders: ('dense' | 'sparse')[] = only === 'dense' || only === 'sparse' ? [only] : ['dense', 'sparse'];
const runs = size === 'small' ? 15 : 3;
const ctx = await createNodeGpuContext();
const { shape, dataset, theta0, settings } = saeBenchInputs(size);
const kArg = process.argv.indexOf('--k');
const z = { ...saeSizes[size], ...(kArg > 0 ? { k: Number(process.argv[kArg + 1]) } : {}) };
const batch = batchForIteration(0, dataset.examples, settings.batchSize, settings.seed);
const models = [];
for (const decoder of decoders) {
  const model = await GpuTopKAutoencoder.create(ctx, shape, { kind: 'topk', k: z.k, auxK: { kAux: settings.auxK } }, dataset, { theta: theta0, batch, decoder });
  model.setDeadLatents(Array.from({ length: shape.latents }, (_, i) => i % 2 === 0));
  const t = performance.now();
  await model.evaluate();
  console.log(`${size} k ${z.k} ${decoder}: first evaluation ${(performance.now() - t).toFixed(0)} ms (pipelines compiled), ${model.programs.length} dispatches`);
  models.push({ decoder, model, times: [] as number[] });
}
// Side by side: the two paths alternate, so a change in the machine's load falls on both.
for (let i = 0; i < runs; i++) {
  for (const entry of models) {
    const t = performance.now();
    await entry.model.evaluate();
    entry.times.push(performance.now() - t);
  }
}
for (const { decoder, model, times } of models) {
  times.sort((a, b) => a - b);
  console.log(`${size} k ${z.k} ${decoder}: median ${times[runs >> 1].toFixed(1)} ms an evaluation (min ${times[0].toFixed(1)}, max ${times[runs - 1].toFixed(1)}, ${runs} runs); load ${loadavg()[0].toFixed(2)}`);
  if (process.argv.includes('--kernels')) console.log(formatProfile(await profileEvaluation(ctx, model)));
  model.destroy();
}
ctx.destroy();
