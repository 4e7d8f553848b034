// Scratch: the GPU-machine check. Bundled to device-check.bundle.mjs (build-device-check.mjs) so
// that it runs with plain `node` and only node_modules/webgpu carried along.
import { writeFileSync } from 'node:fs';
import type { MatmulVariant } from '../../src/gpu/adapter';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { checkEvaluation, checkMatmul, checkWeightGradient, DEFAULT_HYPERPARAMETERS, formatCheck, makeFixture } from '../../src/gpu/checks';
import { createNodeGpuContext } from '../../src/gpu/node';

const out = process.env.OUT ?? '.';
const log: string[] = [];
const say = (s: string) => {
  console.log(s);
  log.push(s);
};
const ctx = await createNodeGpuContext({ powerPreference: 'high-performance' });
say(`adapter ${JSON.stringify(ctx.adapterInfo)}`);
const variants: MatmulVariant[] = ['workgroup', 'registers'];
try {
  for (const variant of variants) {
    for (const [M, N, K, layout] of [
      [7, 25, 64, 'NN'],
      [10000, 196, 784, 'NN'],
      [10000, 784, 196, 'NN'],
      [10000, 196, 784, 'NT'],
      [785, 197, 1001, 'TN'],
    ] as const) {
      say(formatCheck(await checkMatmul(ctx, { M, N, K, layout, activation: layout === 'NN' ? 'sigmoid' : undefined, variant })));
    }
    say(formatCheck(await checkWeightGradient(ctx, { m: 10000, rows: 784, cols: 196, variant })));
  }
  for (const [m, v, h] of [
    [10000, 64, 25],
    [10000, 784, 196],
  ]) {
    for (const variant of variants) {
      for (const r of await checkEvaluation(ctx, { examples: m, visibleSize: v, hiddenSize: h, variant })) say(formatCheck(r));
      const { data, theta } = makeFixture(m, v, h, 1);
      const model = await GpuSparseAutoencoder.create(ctx, { visibleSize: v, hiddenSize: h }, DEFAULT_HYPERPARAMETERS, { data, examples: m, visibleSize: v }, { theta, matmulVariant: variant });
      for (let i = 0; i < 3; i++) await model.evaluate();
      const times: number[] = [];
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        await model.evaluate();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      say(`time (${m}, ${v}, ${h}) ${variant}: median ${times[7].toFixed(2)} ms, min ${times[0].toFixed(2)} ms`);
      model.destroy();
    }
  }
} catch (e) {
  say(`ERROR ${e instanceof Error ? e.stack : String(e)}`);
} finally {
  writeFileSync(`${out}/device-check.txt`, log.join('\n') + '\n');
  ctx.destroy();
}
