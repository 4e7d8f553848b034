// Scratch: time each step of one evaluation on its own (median of N runs).
import { createNodeGpuContext } from '../../src/gpu/node';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { initializeParameters } from '../../src/reference/params';
import { Random } from '../../src/random';

const [m, v, h] = (process.argv[2] ?? '10000,64,25').split(',').map(Number);
const reps = Number(process.argv[3] ?? 3);
const ctx = await createNodeGpuContext();
const rng = new Random(1);
const data = new Float64Array(m * v).map(() => 0.1 + 0.8 * rng.uniform());
const theta = initializeParameters({ visibleSize: v, hiddenSize: h }, 2);
const model = await GpuSparseAutoencoder.create(ctx, { visibleSize: v, hiddenSize: h }, { sparsityParam: 0.01, lambda: 1e-4, beta: 3 }, { data, examples: m, visibleSize: v }, { theta });
await model.evaluate();
const steps = (model as unknown as { steps: Array<{ program: { name: string; dispatch: number[] } }> }).steps;
const groups = (model as unknown as { bindGroupsFor(t: GPUBuffer, g: GPUBuffer): GPUBindGroup[] }).bindGroupsFor(model.thetaBuffer, model.gradBuffer);
let total = 0;
for (let i = 0; i < steps.length; i++) {
  const s = steps[i] as unknown as { pipeline: { pipeline: GPUComputePipeline }; program: { name: string; dispatch: [number, number, number] } };
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const enc = ctx.device.createCommandEncoder(); const pass = enc.beginComputePass();
    pass.setPipeline(s.pipeline.pipeline); pass.setBindGroup(0, groups[i]); pass.dispatchWorkgroups(...s.program.dispatch); pass.end();
    const t = performance.now(); ctx.device.queue.submit([enc.finish()]); await ctx.device.queue.onSubmittedWorkDone(); times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(reps / 2)];
  total += med;
  console.log(`${String(i).padStart(2)} ${s.program.name.padEnd(40)} ${s.program.dispatch.join('x').padEnd(14)} ${med.toFixed(2)} ms`);
}
const times: number[] = [];
for (let r = 0; r < reps; r++) { const t = performance.now(); await model.evaluate(); times.push(performance.now() - t); }
times.sort((a, b) => a - b);
console.log(`sum of steps ${total.toFixed(1)} ms; whole evaluation median ${times[Math.floor(reps / 2)].toFixed(1)} ms`);
model.destroy(); ctx.destroy();
