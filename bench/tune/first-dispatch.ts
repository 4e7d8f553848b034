// Each kernel's first dispatch, in a submission of its own, by the wall clock: Mesa's lavapipe
// compiles a compute shader when it is first dispatched, not when its pipeline is created, so on
// an empty shader cache this is where a fresh machine's first evaluation spends its time.
//   MESA_SHADER_CACHE_DIR=$(mktemp -d) npx tsx --import ./scripts/register-wgsl.mjs bench/tune/first-dispatch.ts [m]
// The second round is the same dispatches with the shaders compiled (the work alone).
import { loadavg } from 'node:os';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import type { GpuContext } from '../../src/gpu/device';
import { createNodeGpuContext } from '../../src/gpu/node';
import { profileEvaluation } from '../../src/gpu/profile';

const base = await createNodeGpuContext();
// profileEvaluation times each step in a submission of its own where the device has no timestamp
// queries: the same device, said to have none.
const device = new Proxy(base.device, {
  get(target, prop) {
    if (prop === 'features') return new Set([...target.features].filter((f) => f !== 'timestamp-query'));
    const value = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const ctx = { ...base, device } as GpuContext;
const [m, v, h] = [Number(process.argv[2] ?? 10000), 64, 25];
const { data, theta } = makeFixture(m, v, h, 1);
const model = await GpuSparseAutoencoder.create(base, { visibleSize: v, hiddenSize: h }, DEFAULT_HYPERPARAMETERS, { data, examples: m, visibleSize: v }, { theta });
console.log(`adapter: ${base.adapterInfo.description || base.adapterInfo.vendor}; (m, v, h) = (${m}, ${v}, ${h}), ${model.config.matmul}`);
for (const round of ['first dispatch', 'again']) {
  const profile = await profileEvaluation(ctx, model);
  const total = profile.steps.reduce((s, k) => s + k.ms, 0);
  console.log(`${round}: ${total.toFixed(0)} ms; load average ${loadavg()[0].toFixed(2)}`);
  for (const step of profile.steps) console.log(`  ${step.ms.toFixed(0).padStart(7)} ms  ${step.name}`);
}
model.destroy();
base.destroy();
process.exit(0);
