// Scratch: the adapter's arithmetic ceiling. Each lane runs ACC independent vec4 FMA chains of
// 4,096 steps, no memory traffic but one store, so GFLOP/s here bound any matmul kernel's.
// node bench/tune/fma-ceiling.mjs [ACC=8] [WORKGROUP=64]   (fma(a, m, c); add --mul-add for a * m + c)
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]);
globalThis.__gpu = gpu; // keep Dawn's instance alive (bench/tune/README.md)
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const mulAdd = process.argv.includes('--mul-add');
const ACC = Number(args[0] ?? 8);
const WG = Number(args[1] ?? 64);
const ITERS = 4096;
const GROUPS = 2048;
const names = Array.from({ length: ACC }, (_, i) => `a${i}`);
const code = `@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3u) {
  let m = vec4f(0.999999);
  let c = vec4f(1e-7);
  ${names.map((a, i) => `var ${a} = vec4f(f32(g.x) * 1e-9 + ${i}.0);`).join('\n  ')}
  for (var k = 0u; k < ${ITERS}u; k++) {
    ${names.map((a) => (mulAdd ? `${a} = ${a} * m + c;` : `${a} = fma(${a}, m, c);`)).join('\n    ')}
  }
  out[g.x] = ${names.join(' + ')};
}`;
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
const buffer = device.createBuffer({ size: GROUPS * WG * 16, usage: GPUBufferUsage.STORAGE });
const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
async function run() {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(GROUPS);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}
await run(); // compiles
const times = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  await run();
  times.push(performance.now() - t0);
}
const best = Math.min(...times);
const flops = GROUPS * WG * ITERS * ACC * 4 * 2;
console.log(`${adapter.info.description || adapter.info.architecture}: ${ACC} vec4 chains, workgroup ${WG}${mulAdd ? ', a * m + c' : ''}: ${best.toFixed(1)} ms, ${(flops / best / 1e6).toFixed(1)} GFLOP/s (best of 5)`);
process.exit(0);
