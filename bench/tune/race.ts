/**
 * The kernel tuner's race on this adapter, with a budget of your choosing, printed candidate by
 * candidate (nothing cached): `npx tsx --import ./scripts/register-wgsl.mjs bench/tune/race.ts
 * [budget seconds = 2] [examples,visible,hidden = 10000,64,25]`.
 */
import { adapterLabel } from '../../src/gpu/adapter';
import { kernelConfigFor } from '../../src/gpu/device';
import { createNodeGpuContext } from '../../src/gpu/node';
import { denseMatmulShapes, describeKernelChoice } from '../../src/gpu/tuner';
import { tuneContext } from '../../src/gpu/tuning';

const budgetSeconds = Number(process.argv[2] ?? 2);
const [m, v, h] = (process.argv[3] ?? '10000,64,25').split(',').map(Number);
const ctx = await createNodeGpuContext();
try {
  const shapes = denseMatmulShapes(m, [v, h, v], kernelConfigFor(ctx).splitK);
  const choice = await tuneContext(ctx, shapes, { budgetMs: budgetSeconds * 1000 });
  console.log(`${adapterLabel(ctx.adapterInfo)}; (${m}, ${v}, ${h}); budget ${budgetSeconds} s`);
  for (const r of choice.raced ?? []) console.log(`  ${r.kernels.padEnd(32)} ${r.skipped ? 'not run (budget)' : r.passed ? `${r.ms!.toFixed(2)} ms` : `failed the check${r.error ? `: ${r.error}` : ''}`}`);
  console.log(`chosen: ${describeKernelChoice(choice)}`);
} finally {
  ctx.destroy();
}
