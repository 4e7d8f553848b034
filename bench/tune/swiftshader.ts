// Scratch: what Chromium's WebGPU adapter (SwiftShader headless) offers, and per-evaluation and
// per-matmul timings of our pipeline with each matmul variant. Driven by swiftshader.mjs.
import { chooseKernelConfig, type MatmulTiling, type MatmulVariant } from '../../src/gpu/adapter';
import { createGpuContext, type GpuContext } from '../../src/gpu/device';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { matmulProgram, roundUp4 } from '../../src/gpu/programs';
import { createStorageBuffer, createUniformBuffer } from '../../src/gpu/runtime';
import { UFLDL_HYPERPARAMETERS } from '../../src/reference/autoencoder';
import { initializeParameters } from '../../src/reference/params';
import { Random } from '../../src/random';

async function probe() {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & Record<string, unknown>;
  const limits: Record<string, number> = {};
  for (const k in adapter.limits) limits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  return {
    info: { vendor: info.vendor, architecture: info.architecture, description: info.description, device: info.device, subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize, isFallbackAdapter: info.isFallbackAdapter },
    features: [...adapter.features],
    limits,
    cores: navigator.hardwareConcurrency,
  };
}

let ctx: GpuContext | undefined;
async function context(): Promise<GpuContext> {
  ctx ??= await createGpuContext(navigator.gpu, { environment: 'browser' });
  return ctx;
}

async function makeModel(m: number, v: number, h: number, variant?: MatmulVariant) {
  const c = await context();
  const rng = new Random(1);
  const data = new Float64Array(m * v).map(() => 0.1 + 0.8 * rng.uniform());
  const theta = initializeParameters({ visibleSize: v, hiddenSize: h }, 2);
  return GpuSparseAutoencoder.create(c, { visibleSize: v, hiddenSize: h }, UFLDL_HYPERPARAMETERS, { data, examples: m, visibleSize: v }, { theta, matmulVariant: variant });
}

const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)];

async function evaluate(m: number, v: number, h: number, variant?: MatmulVariant, reps = 5) {
  const model = await makeModel(m, v, h, variant);
  try {
    let t = performance.now();
    await model.evaluate();
    const first = performance.now() - t;
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      t = performance.now();
      await model.evaluate();
      times.push(performance.now() - t);
    }
    return { config: model.config, first, median: median(times), min: Math.min(...times) };
  } finally {
    model.destroy();
  }
}

/** A raw compute shader timed on its own (one dispatch, median of reps). */
async function kernel(code: string, bufferBytes: number[], dispatch: [number, number, number], reps = 3, constants: Record<string, number> = {}) {
  const c = await context();
  const module = c.device.createShaderModule({ code });
  const pipeline = await c.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main', constants } });
  const buffers = bufferBytes.map((b) => c.device.createBuffer({ size: b, usage: GPUBufferUsage.STORAGE }));
  const group = c.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const enc = c.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(...dispatch);
    pass.end();
    const t = performance.now();
    c.device.queue.submit([enc.finish()]);
    await c.device.queue.onSubmittedWorkDone();
    if (r > 0) times.push(performance.now() - t);
  }
  for (const b of buffers) b.destroy();
  return { median: median(times), min: Math.min(...times) };
}

/** The five matmuls of one evaluation at (m, v, h), each timed alone (median ms of reps). */
async function matmuls(m: number, v: number, h: number, variant: MatmulVariant, tiling?: MatmulTiling, reps = 3, splitK = 256) {
  const c = await context();
  const sg = chooseKernelConfig(c.adapterInfo).subgroupSize;
  const v4 = roundUp4(v);
  const h4 = roundUp4(h);
  const specs = {
    fwd1: { M: m, N: h4, K: v4, transA: false, transB: false, activation: 'sigmoid' as const, nValid: h },
    fwd2: { M: m, N: v4, K: h4, transA: false, transB: false, activation: 'sigmoid' as const, nValid: v },
    bwdNT: { M: m, N: h4, K: v4, transA: false, transB: true },
    gW1: { M: v4, N: h4, K: m, transA: true, transB: false, kChunk: splitK },
    gW2: { M: h4, N: v4, K: m, transA: true, transB: false, kChunk: splitK },
  };
  const big = Math.max(m * v4, m * h4) * 4;
  const bufs = [0, 1, 2].map((i) => createStorageBuffer(c.device, i === 2 ? Math.max(big, Math.ceil(m / splitK) * v4 * h4 * 4) : big, `t${i}`));
  const biasBuf = createStorageBuffer(c.device, 4 * (v4 + h4), 'bias');
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, spec] of Object.entries(specs)) {
    const program = matmulProgram(spec, variant, sg, tiling);
    const pipeline = await c.pipelines.pipeline(program);
    const ub = createUniformBuffer(c.device, program);
    c.device.queue.writeBuffer(ub, 0, program.uniforms);
    const group = c.device.createBindGroup({ layout: pipeline.bindGroupLayout, entries: [ub, bufs[0], bufs[1], bufs[2], biasBuf].map((buffer, binding) => ({ binding, resource: { buffer } })) });
    const times: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const enc = c.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(...program.dispatch);
      pass.end();
      const t = performance.now();
      c.device.queue.submit([enc.finish()]);
      await c.device.queue.onSubmittedWorkDone();
      if (r > 0) times.push(performance.now() - t);
    }
    ub.destroy();
    out[name] = +median(times).toFixed(1);
    total += out[name];
  }
  for (const b of [...bufs, biasBuf]) b.destroy();
  return { variant, tiling: tiling ? `${tiling.tileRows}x${tiling.tileCols4} wg${tiling.wgX ?? ''}x${tiling.wgY}` : 'default', total: +total.toFixed(1), ...out };
}

(window as unknown as { tune: unknown }).tune = { probe, evaluate, kernel, matmuls };
(window as unknown as { tuneReady: boolean }).tuneReady = true;
document.getElementById('out')!.textContent = 'ready';
