/** The pipeline manager: compile errors, the cache, the no-adapter error, the variant choice. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERPARAMETERS, makeFixture } from '../../src/gpu/checks';
import {
  adapterLabel,
  chooseKernelConfig,
  isSoftwareAdapter,
  MATMUL_VARIANTS,
  matmulVariantsFor,
  softwareAdapter,
  summarizeAdapter,
  type AdapterSummary,
} from '../../src/gpu/adapter';
import { GpuSparseAutoencoder } from '../../src/gpu/autoencoder';
import { createGpuContext, NO_ADAPTER_FIX } from '../../src/gpu/device';
import { DeviceLostError, GpuValidationError, NoAdapterError, WgslCompileError } from '../../src/gpu/errors';
import { createNodeGpuContext, likelyCauseOfNoAdapter } from '../../src/gpu/node';
import { matmulProgram, padMatrixProgram, SHADERS } from '../../src/gpu/programs';
import { runPrograms } from '../../src/gpu/runtime';
import { useGpuContext } from './context';

const gpu = useGpuContext();

describe('pipeline cache', () => {
  it('turns a WGSL compile error into a readable exception with file:line:col', async () => {
    const broken = {
      file: 'shaders/broken.wgsl',
      code: '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefinedThing + 1.0;\n}\n',
    };
    const error = await gpu()
      .pipelines.pipeline({ shader: broken, entryPoint: 'main', constants: {}, bindings: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WgslCompileError);
    const message = (error as Error).message;
    expect(message).toMatch(/shaders\/broken\.wgsl:3:\d+: error: .*undefinedThing/);
    expect(message).toContain('let x: f32 = undefinedThing + 1.0;');
  });

  it('reports a bad override constant as a pipeline error naming the shader', async () => {
    const error = await gpu()
      .pipelines.pipeline({ shader: SHADERS.padMatrix, entryPoint: 'main', constants: { NO_SUCH_CONSTANT: 1 }, bindings: ['uniform', 'read-only-storage', 'storage'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/pad_matrix\.wgsl/);
  });

  it('compiles each (shader, entry point, constants) once', async () => {
    const cache = gpu().pipelines;
    const program = matmulProgram({ M: 13, N: 8, K: 12, transA: false, transB: true }, 'registers');
    const before = { ...cache.stats };
    const first = await cache.pipeline(program);
    const afterFirst = { ...cache.stats };
    const otherUniforms = { ...program, uniforms: new ArrayBuffer(48) };
    const again = await Promise.all([cache.pipeline(program), cache.pipeline(otherUniforms)]);
    expect(again[0]).toBe(first);
    expect(again[1]).toBe(first);
    expect(cache.stats.pipelinesCreated).toBe(afterFirst.pipelinesCreated);
    expect(cache.stats.modulesCompiled).toBe(afterFirst.modulesCompiled);
    expect(afterFirst.pipelinesCreated - before.pipelinesCreated).toBeLessThanOrEqual(1);
    // Different constants: a new pipeline from the same module.
    const other = await cache.pipeline(matmulProgram({ M: 13, N: 8, K: 12, transA: false, transB: false }, 'registers'));
    expect(other).not.toBe(first);
    expect(cache.stats.modulesCompiled).toBe(afterFirst.modulesCompiled);
  });
});

describe('errors', () => {
  it('turns a WebGPU validation error into an exception (error scopes)', async () => {
    const ctx = gpu();
    const program = padMatrixProgram({ rows: 2, cols: 3, outRows: 4, srcOffset: 0 });
    // A uniform-only buffer where a storage buffer is expected.
    const wrong = ctx.device.createBuffer({ size: 64, usage: GPUBufferUsage.UNIFORM });
    const dst = ctx.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE });
    try {
      const error = await runPrograms(ctx, [{ program, buffers: { src: wrong, dst } }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GpuValidationError);
      expect((error as Error).message).toMatch(/pad matrix/);
    } finally {
      wrong.destroy();
      dst.destroy();
    }
  });

  it('a destroyed context fails every later call with DeviceLostError', async () => {
    const ctx = await createNodeGpuContext();
    const { data, theta } = makeFixture(5, 3, 2);
    const model = await GpuSparseAutoencoder.create(ctx, { visibleSize: 3, hiddenSize: 2 }, DEFAULT_HYPERPARAMETERS, { data, examples: 5, visibleSize: 3 }, { theta });
    await model.evaluate();
    ctx.destroy();
    await expect(model.evaluate()).rejects.toBeInstanceOf(DeviceLostError);
    expect(() => ctx.assertAlive()).toThrow(DeviceLostError);
    model.destroy();
  });
});

describe('createGpuContext', () => {
  const noAdapterGpu = { requestAdapter: async () => null } as unknown as GPU;

  it('names the Node fix when there is no adapter', async () => {
    const error = await createGpuContext(noAdapterGpu, { environment: 'node' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect((error as Error).message).toContain(NO_ADAPTER_FIX.node);
    expect((error as Error).message).toMatch(/mesa-vulkan-drivers from bookworm-backports/);
  });

  it('names the browser fix when there is no adapter', async () => {
    const error = await createGpuContext(noAdapterGpu, { environment: 'browser' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/Chrome ≥ 113|--enable-unsafe-webgpu/);
    const noGpu = await createGpuContext(undefined, { environment: 'browser' }).catch((e: unknown) => e);
    expect(noGpu).toBeInstanceOf(NoAdapterError);
  });

  it('records adapter info and raises the storage binding limit to the adapter’s', () => {
    const ctx = gpu();
    expect(ctx.adapterInfo.vendor).toBeTruthy();
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(ctx.adapter.limits.maxStorageBufferBindingSize);
    expect(ctx.device.limits.maxBufferSize).toBe(ctx.adapter.limits.maxBufferSize);
  });
});

describe('variant choice by adapter', () => {
  const adapter = (vendor: string, architecture: string, description = '', device = '', subgroupSize = 0): AdapterSummary => ({
    vendor,
    architecture,
    description,
    device,
    isFallbackAdapter: false,
    subgroups: subgroupSize > 0,
    subgroupMinSize: subgroupSize,
    subgroupMaxSize: subgroupSize,
  });

  it('names the software adapters, whichever field says so', () => {
    expect(softwareAdapter(adapter('mesa', 'software', 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', 'llvmpipe-llvm-15-0-6-256-bits-'))).toBe('llvmpipe');
    expect(softwareAdapter(adapter('mesa', '', 'lavapipe'))).toBe('llvmpipe');
    expect(softwareAdapter(adapter('google', 'swiftshader', 'SwiftShader Device (Subzero)'))).toBe('swiftshader');
    expect(softwareAdapter(adapter('microsoft', '', 'Microsoft Basic Render Driver'))).toBe('warp');
    expect(softwareAdapter(adapter('microsoft', 'warp'))).toBe('warp');
    expect(softwareAdapter(adapter('mesa', 'software'))).toBe('other');
    expect(softwareAdapter({ ...adapter('acme', 'x'), isFallbackAdapter: true })).toBe('other');
    expect(softwareAdapter(adapter('nvidia', 'hopper', 'NVIDIA H100'))).toBeNull();
    expect(softwareAdapter(adapter('mesa', 'rdna-3', 'AMD Radeon (RADV)'))).toBeNull();
    expect(softwareAdapter(adapter('apple', 'metal-3'))).toBeNull();
  });

  it('summarizes an adapter from its info and features, and labels it for people', () => {
    const features = new Set(['subgroups']);
    const info = { vendor: 'google', architecture: 'swiftshader', description: '', device: '', subgroupMinSize: 4, subgroupMaxSize: 4, isFallbackAdapter: true } as unknown as GPUAdapterInfo;
    const summary = summarizeAdapter({ info, features });
    expect(summary).toEqual({ vendor: 'google', architecture: 'swiftshader', description: '', device: '', isFallbackAdapter: true, subgroups: true, subgroupMinSize: 4, subgroupMaxSize: 4 });
    expect(summarizeAdapter({})).toEqual(adapter('', ''));
    expect(adapterLabel(summary)).toBe('google · swiftshader (software: runs on the CPU)');
    expect(adapterLabel(adapter('nvidia', 'hopper', 'NVIDIA H100', 'NVIDIA H100'))).toBe('nvidia · hopper · NVIDIA H100');
    expect(adapterLabel(adapter('', ''))).toBe('unnamed adapter');
  });

  it('register blocking on software adapters, workgroup tiling on GPUs', () => {
    const lavapipe = adapter('mesa', 'software', 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', 'llvmpipe-llvm-15-0-6-256-bits-');
    const swiftshader = adapter('google', 'swiftshader', 'SwiftShader Device (Subzero)');
    const nvidia = adapter('nvidia', 'hopper', 'NVIDIA H100');
    const radv = adapter('mesa', 'rdna-3', 'AMD Radeon (RADV)');
    expect(isSoftwareAdapter(lavapipe)).toBe(true);
    expect(isSoftwareAdapter(swiftshader)).toBe(true);
    expect(isSoftwareAdapter(nvidia)).toBe(false);
    expect(isSoftwareAdapter(radv)).toBe(false);
    expect(chooseKernelConfig(lavapipe).matmul).toBe('registers');
    // SwiftShader: the generated, fully unrolled register blocks (8 rows × 2 vec4 per lane, 4 lanes).
    expect(chooseKernelConfig(swiftshader)).toMatchObject({ matmul: 'unrolled', tiling: { tileRows: 8, tileCols4: 2, wgX: 4, wgY: 1 } });
    expect(chooseKernelConfig({ ...swiftshader, subgroups: true, subgroupMinSize: 4, subgroupMaxSize: 4 }).matmul).toBe('unrolled');
    expect(chooseKernelConfig(nvidia).matmul).toBe('workgroup');
    expect(chooseKernelConfig(adapter('microsoft', '', 'Microsoft Basic Render Driver'))).toMatchObject({ matmul: 'registers', laneGroup: 8 });
    expect(chooseKernelConfig(nvidia, 'registers').matmul).toBe('registers');
    expect(chooseKernelConfig(lavapipe, 'workgroup').matmul).toBe('workgroup');
    expect(() => chooseKernelConfig(lavapipe, 'subgroups')).toThrow(/subgroups/);
  });

  it('subgroup sharing on software adapters with a fixed subgroup size', () => {
    const lavapipe = adapter('mesa', 'software', 'llvmpipe: Mesa 25.0.7', 'llvmpipe', 8);
    expect(chooseKernelConfig(lavapipe)).toMatchObject({ matmul: 'subgroups', subgroupSize: 8 });
    const varying = { ...lavapipe, subgroupMinSize: 4, subgroupMaxSize: 8 };
    expect(chooseKernelConfig(varying).matmul).toBe('registers');
    expect(chooseKernelConfig(adapter('nvidia', 'hopper', '', '', 32)).matmul).toBe('workgroup');
  });

  it('offers the subgroup variant only with a fixed subgroup size', () => {
    expect(matmulVariantsFor(adapter('mesa', 'software', 'llvmpipe', 'llvmpipe', 8))).toEqual(['registers', 'subgroups', 'workgroup', 'unrolled']);
    expect(matmulVariantsFor(adapter('nvidia', 'hopper', 'NVIDIA H100', '', 32))).toEqual(['registers', 'workgroup', 'unrolled']);
    expect(matmulVariantsFor({ ...adapter('apple', 'metal-3', '', '', 32), subgroupMinSize: 4 })).toEqual(['registers', 'workgroup', 'unrolled']);
  });

  it('chooses for the adapter here a variant it offers', () => {
    const info = gpu().adapterInfo;
    expect(matmulVariantsFor(info)).toContain(chooseKernelConfig(info).matmul);
  });

  it.each(MATMUL_VARIANTS)('forces %s on the adapter here where it offers it, and refuses to where not', (variant) => {
    const info = gpu().adapterInfo;
    if (matmulVariantsFor(info).includes(variant)) expect(chooseKernelConfig(info, variant).matmul).toBe(variant);
    else expect(() => chooseKernelConfig(info, variant)).toThrow(/subgroup/);
  });
});

describe('why Node found no adapter', () => {
  it('names a VK_ICD_FILENAMES that points at nothing, or that limits the drivers', () => {
    expect(likelyCauseOfNoAdapter({ VK_ICD_FILENAMES: '/no/such/icd.json' })).toBe('VK_ICD_FILENAMES points at /no/such/icd.json, which does not exist');
    expect(likelyCauseOfNoAdapter({ VK_ICD_FILENAMES: `${process.execPath}:/no/such.json` })).toMatch(/^VK_ICD_FILENAMES limits Vulkan to /);
  });
});
