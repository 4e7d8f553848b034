/**
 * The WebGPU device and what we know about its adapter, for Node (Dawn) and browsers alike.
 * Browser-safe: the caller passes in the GPU object (navigator.gpu, or the one src/gpu/node.ts
 * creates).
 */
import { chooseKernelConfig, summarizeAdapter, type AdapterSummary, type KernelConfig, type MatmulVariant } from './adapter';
import { countDeviceWork, zeroCounters, type GpuCounters } from './counters';
import { DeviceLostError, NoAdapterError } from './errors';
import { PipelineCache } from './pipelines';
import type { KernelChoice } from './tuner';

export interface GpuContextOptions {
  powerPreference?: GPUPowerPreference;
  /** Which fix the no-adapter error names. Default: guessed from the global scope. */
  environment?: 'node' | 'browser';
  /** Called once if the device is lost for any reason other than destroy(). */
  onDeviceLost?: (info: GPUDeviceLostInfo) => void;
}

export interface GpuContext {
  /**
   * Held for the device's lifetime: in Node, if the object from `create()` is garbage collected,
   * Dawn frees its instance under the live device and the process aborts at the next queue event.
   */
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterSummary;
  readonly pipelines: PipelineCache;
  /** Set once the device is lost. */
  readonly lost: GPUDeviceLostInfo | undefined;
  /**
   * Submissions, dispatches and read-backs since the context was made (see counters.ts), and the
   * GPU time that timestamp queries measured.
   */
  readonly counters: GpuCounters;
  /**
   * Whether waiting on the GPU keeps this thread busy: in Node, Dawn's binding polls with
   * setImmediate until a map resolves (./pacer.ts paces the loops' read-backs for it).
   */
  readonly pollsWhileWaiting?: boolean;
  /**
   * The kernels tuned for this adapter and the model about to run (./tuner.ts), set by whoever
   * tuned; unset, models run chooseKernelConfig's table choice.
   */
  kernels?: KernelChoice;
  /**
   * Milliseconds a run's warm-up took to compile the kernel race's first guess on this device
   * (src/train/prepare.ts), for the race's estimate of what a challenger's compiles cost.
   */
  raceCompileMs?: number;
  /**
   * Throws DeviceLostError if the device has been lost or reported an uncaptured error. Error
   * scopes guard creation; during training this is the check, after every read-back.
   */
  assertAlive(): void;
  destroy(): void;
}

/** The kernels a model on this context runs: a forced variant, else the tuned choice, else the table's. */
export function kernelConfigFor(ctx: GpuContext, forced?: MatmulVariant): KernelConfig {
  if (forced || !ctx.kernels) return chooseKernelConfig(ctx.adapterInfo, forced);
  return ctx.kernels.config;
}

export const NO_ADAPTER_FIX = {
  node: 'install Mesa ≥ 24 Vulkan drivers (Debian: mesa-vulkan-drivers from bookworm-backports)',
  browser: 'use Chrome ≥ 113 or start Chromium with --enable-unsafe-webgpu',
} as const;

function guessEnvironment(): 'node' | 'browser' {
  const g = globalThis as { process?: { versions?: { node?: string } }; window?: unknown };
  return g.process?.versions?.node !== undefined && g.window === undefined ? 'node' : 'browser';
}

export function noAdapterMessage(environment: 'node' | 'browser'): string {
  return `No WebGPU adapter is available: ${NO_ADAPTER_FIX[environment]}.`;
}

/** Limits we raise to the adapter's own values (the defaults cap a storage binding at 128 MiB). */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export async function createGpuContext(gpu: GPU | undefined, options: GpuContextOptions = {}): Promise<GpuContext> {
  const environment = options.environment ?? guessEnvironment();
  if (!gpu) throw new NoAdapterError(`WebGPU is not available here (no GPU object). ${noAdapterMessage(environment)}`);
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) throw new NoAdapterError(noAdapterMessage(environment));

  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  // Timestamp queries let a run report GPU time as a share of wall time.
  const optional = ['subgroups', 'timestamp-query'].filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: optional, label: 'sparse-autoencoder' });
  const counters = zeroCounters();
  countDeviceWork(device, counters);
  const adapterInfo = summarizeAdapter(adapter);

  let lost: GPUDeviceLostInfo | undefined;
  let uncaptured: string | undefined;
  let destroyed = false;
  void device.lost.then((info) => {
    lost = info;
    if (!destroyed && info.reason !== 'destroyed') {
      if (options.onDeviceLost) options.onDeviceLost(info);
      else console.error(`WebGPU device lost (${info.reason}): ${info.message}`);
    }
  });
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    uncaptured ??= message;
    console.error(`Uncaptured WebGPU error: ${message}`);
  });

  const pipelines = new PipelineCache(device);
  return {
    gpu,
    adapter,
    device,
    adapterInfo,
    pipelines,
    pollsWhileWaiting: environment === 'node',
    get lost() {
      return lost;
    },
    counters,
    assertAlive() {
      if (destroyed) throw new DeviceLostError('the GPU context has been destroyed');
      if (lost) throw new DeviceLostError(`the WebGPU device was lost (${lost.reason}): ${lost.message}`);
      if (uncaptured) throw new DeviceLostError(`the WebGPU device reported an error: ${uncaptured}`);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      device.destroy();
    },
  };
}
