import { createNodeGpuContext } from '../../src/gpu/node';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { sparseAutoencoderCostDetailed } from '../../src/reference/autoencoder';
import { initializeParameters } from '../../src/reference/params';
import { Random } from '../../src/random';

const [m, v, h] = (process.argv[2] ?? '7,3,1').split(',').map(Number);
const variant = (process.argv[3] ?? undefined) as 'registers' | 'workgroup' | undefined;
const ctx = await createNodeGpuContext();
console.log(ctx.adapterInfo);
const rng = new Random(1);
const data = new Float64Array(m * v).map(() => Math.fround(0.1 + 0.8 * rng.uniform()));
const theta = initializeParameters({ visibleSize: v, hiddenSize: h }, 2).map(Math.fround);
const hp = { sparsityParam: 0.01, lambda: 1e-4, beta: 3 };
const model = await GpuSparseAutoencoder.create(ctx, { visibleSize: v, hiddenSize: h }, hp, { data, examples: m, visibleSize: v }, { theta, matmulVariant: variant });
let t = performance.now();
const r = await model.evaluate({ meanActivation: true });
console.log('first eval ms', (performance.now() - t).toFixed(1));
const times: number[] = [];
for (let i = 0; i < 5; i++) { t = performance.now(); await model.evaluate(); times.push(performance.now() - t); }
times.sort((a, b) => a - b);
console.log('median eval ms', times[2].toFixed(1), times.map((x) => x.toFixed(0)).join(' '));
const g = await model.readGradient();
t = performance.now();
const ref = sparseAutoencoderCostDetailed(theta, { visibleSize: v, hiddenSize: h }, hp, { data, examples: m, visibleSize: v });
console.log('cpu ref ms', (performance.now() - t).toFixed(0));
console.log('gpu', r.cost, r.parts, 'ref', ref.cost, ref.parts);
let num = 0, den = 0;
for (let i = 0; i < g.length; i++) { num += (g[i] - ref.grad[i]) ** 2; den += ref.grad[i] ** 2; }
console.log('cost rel', Math.abs(r.cost - ref.cost) / Math.abs(ref.cost), 'grad rel', Math.sqrt(num / den));
console.log('rho', Array.from(r.meanActivation!.slice(0, 4)), Array.from(ref.meanActivation.slice(0, 4)));
model.destroy();
ctx.destroy();
