/**
 * Compiled pipelines, cached so that no (shader, entry point, override constants) is ever
 * compiled twice, with explicit bind group layouts and compile errors turned into readable
 * exceptions (file:line:col and the source line).
 */
import { GpuValidationError, WgslCompileError } from './errors';

/** WGSL source and the file it came from (for error messages). */
export interface ShaderSource {
  file: string;
  code: string;
}

/** What a binding holds; binding i of a program's single bind group has kind bindings[i]. */
export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface PipelineRequest {
  shader: ShaderSource;
  entryPoint: string;
  constants: Readonly<Record<string, number | boolean>>;
  bindings: readonly BindingKind[];
}

/**
 * A pipeline request as text, its shader named by `shaderId`: everything that makes two requests
 * the same pipeline (the cache's key, with a module id; the compile stamps', with the shader's
 * hash: ./compile-stamps-node.ts).
 */
export function describePipeline(request: PipelineRequest, shaderId: string): string {
  const constants = Object.keys(request.constants)
    .sort()
    .map((name) => `${name}=${Number(request.constants[name])}`)
    .join(',');
  return `${shaderId}|${request.shader.file}|${request.entryPoint}|${constants}|${request.bindings.join(',')}`;
}

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  key: string;
}

export class PipelineCache {
  /** Counters for tests: how many modules and pipelines were really created. */
  readonly stats = { modulesCompiled: 0, pipelinesCreated: 0, pipelineHits: 0 };
  private readonly moduleIds = new Map<string, number>();
  private readonly modules = new Map<number, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<CachedPipeline>>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();

  constructor(readonly device: GPUDevice) {}

  /** Compiles a shader module once per distinct source; throws WgslCompileError on errors. */
  module(shader: ShaderSource): Promise<GPUShaderModule> {
    const id = this.moduleId(shader.code);
    let module = this.modules.get(id);
    if (!module) {
      module = this.compile(shader);
      this.modules.set(id, module);
    }
    return module;
  }

  bindGroupLayout(bindings: readonly BindingKind[]): GPUBindGroupLayout {
    const key = bindings.join(',');
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: `layout(${key})`,
        entries: bindings.map((type, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type },
        })),
      });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  key(request: PipelineRequest): string {
    return describePipeline(request, String(this.moduleId(request.shader.code)));
  }

  pipeline(request: PipelineRequest): Promise<CachedPipeline> {
    const key = this.key(request);
    let pipeline = this.pipelines.get(key);
    if (pipeline) {
      this.stats.pipelineHits++;
      return pipeline;
    }
    pipeline = this.create(request, key);
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  private moduleId(code: string): number {
    let id = this.moduleIds.get(code);
    if (id === undefined) {
      id = this.moduleIds.size;
      this.moduleIds.set(code, id);
    }
    return id;
  }

  private async compile(shader: ShaderSource): Promise<GPUShaderModule> {
    this.stats.modulesCompiled++;
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: shader.file, code: shader.code });
    const info = await module.getCompilationInfo();
    const scopeError = await device.popErrorScope();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new WgslCompileError(
        shader.file,
        errors.map((m) => ({ type: m.type, line: m.lineNum, column: m.linePos, message: m.message })),
        shader.code,
      );
    }
    if (scopeError) throw new GpuValidationError(`compiling ${shader.file}`, scopeError.message);
    return module;
  }

  private async create(request: PipelineRequest, key: string): Promise<CachedPipeline> {
    const module = await this.module(request.shader);
    this.stats.pipelinesCreated++;
    const bindGroupLayout = this.bindGroupLayout(request.bindings);
    const constants: Record<string, number> = {};
    for (const [name, value] of Object.entries(request.constants)) constants[name] = Number(value);
    const label = `${request.shader.file}:${request.entryPoint}`;
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label,
        layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [bindGroupLayout] }),
        compute: { module, entryPoint: request.entryPoint, constants },
      });
      return { pipeline, bindGroupLayout, key };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new GpuValidationError(`creating the pipeline ${label} with ${JSON.stringify(constants)}`, message);
    }
  }
}
