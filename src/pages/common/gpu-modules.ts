/**
 * The GPU for the pages' workers: a context on the worker's navigator.gpu. The training
 * engine on it is made by src/train/prepare.ts, which loads the GPU pipeline only when a run
 * asks for WebGPU.
 */
import type { AdapterSummary } from '../../gpu/adapter';
import { createGpuContext as createContext, type GpuContext } from '../../gpu/device';

export function adapterOf(ctx: GpuContext): AdapterSummary {
  return ctx.adapterInfo;
}

/** WebGPU is not offered here at all (as opposed to failing while in use). */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** A GPU context on navigator.gpu (in a worker: the worker's), for the pages. */
export async function createGpuContext(): Promise<GpuContext> {
  if (!navigator.gpu) throw new GpuUnavailableError('this browser does not offer WebGPU here');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new GpuUnavailableError('this browser found no WebGPU adapter');
  return createContext(navigator.gpu, { environment: 'browser' });
}
