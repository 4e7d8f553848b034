// Scratch: times matmul kernel variants on the local adapter. node bench/tune/matmul-tune.mjs SHADER 'json overrides list'
import { create, globals } from 'webgpu';
import { readFileSync } from 'node:fs';
Object.assign(globalThis, globals);
const gpu = create([]); globalThis.__gpu = gpu; // the GPU object must stay referenced: if it is collected, Dawn's instance is freed under the device
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({ requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [] });
const file = process.argv[2] ?? 'shaders/matmul.wgsl';
const module = device.createShaderModule({ code: readFileSync(file, 'utf8') });
const info = await module.getCompilationInfo();
for (const m of info.messages) console.log(m.type, m.lineNum, m.linePos, m.message);
const variants = JSON.parse(process.argv[3] ?? '[{"ROWS":8,"WG_X":8}]');
const cases = JSON.parse(process.argv[4] ?? '[["NN",10000,196,784,0],["NN",10000,784,196,0],["NT",10000,196,784,0],["TN",784,196,10000,250]]');
const rand = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random(); return a; };
function buf(data, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC) {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage }); device.queue.writeBuffer(b, 0, data); return b;
}
for (const [layout, M, N, K, kChunk0] of cases) {
  const kChunk = kChunk0 || K; const S = Math.ceil(K / kChunk);
  const A = rand(M * K), B = rand(K * N);
  const ab = buf(A), bb = buf(B), cb = device.createBuffer({ size: S * M * N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const bias = buf(new Float32Array(4));
  const ub = buf(new Uint32Array([M, N, K, kChunk, 0, 0, 0, 0, N, 0, 0, 0]), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  for (const v of variants) {
    const constants = { ...(v.noTrans ? {} : { TRANS_A: layout[0] === "T" ? 1 : 0, TRANS_B: layout[1] === "T" ? 1 : 0 }), ...v }; delete constants.noTrans;
    const t0 = performance.now();
    const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: v.entry ?? 'main', constants: Object.fromEntries(Object.entries(constants).filter(([k]) => k !== 'entry' && k !== 'tileM' && k !== 'tileN')) } });
    const tc = performance.now() - t0;
    const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [ub, ab, bb, cb, bias].map((b, i) => ({ binding: i, resource: { buffer: b } })) }); globalThis.keep = (globalThis.keep ?? []).concat([pipe, bg]);
    const tileM = v.tileM ?? (v.TILE_ROWS ?? 4) * (v.WG_Y ?? 1), tileN = v.tileN ?? 4 * (v.WG_X ?? v.SG ?? 8) * (v.TILE_COLS4 ?? 1);
    const run = async () => { const e = device.createCommandEncoder(); const p = e.beginComputePass(); p.setPipeline(pipe); p.setBindGroup(0, bg); p.dispatchWorkgroups(Math.ceil(N / tileN), Math.ceil(M / tileM), S); p.end(); device.queue.submit([e.finish()]); await device.queue.onSubmittedWorkDone(); };
    await run();
    const times = []; for (let i = 0; i < 5; i++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
    times.sort((x, y) => x - y); if (process.env.BUSY2) { const t = performance.now(); while (performance.now() - t < +process.env.BUSY2); }
    // check a few entries
    const rb = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (process.env.NOCHECK) continue; const e = device.createCommandEncoder(); e.copyBufferToBuffer(cb, 0, rb, 0, M * N * 4); device.queue.submit([e.finish()]);
    await rb.mapAsync(GPUMapMode.READ); const C = new Float32Array(rb.getMappedRange().slice(0)); rb.unmap();
    let maxRel = 0; if (process.env.BUSY) { const t = performance.now(); while (performance.now() - t < +process.env.BUSY); } if (!process.env.MAPONLY)
    for (let t = 0; t < 50; t++) { const i = (t * 7919) % M, j = (t * 104729) % N; let s = 0;
      for (let k = 0; k < Math.min(K, kChunk); k++) s += (layout[0] === 'T' ? A[k * M + i] : A[i * K + k]) * (layout[1] === 'T' ? B[j * K + k] : B[k * N + j]);
      maxRel = Math.max(maxRel, Math.abs(C[i * N + j] - s) / Math.abs(s)); }
    const gf = (2 * M * N * K) / (times[0] * 1e6);
    console.log(layout, M, N, K, JSON.stringify(v), `compile ${tc.toFixed(0)}ms min ${times[0].toFixed(1)}ms ${gf.toFixed(2)} GFLOP/s relerr ${maxRel.toExponential(1)}`);
  }
  ab.destroy(); bb.destroy(); cb.destroy();
}
device.destroy();
