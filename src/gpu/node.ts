/**
 * Node only: a GPU context through Dawn's `webgpu` package (lavapipe on machines without a GPU).
 * Destroy the context when done: Node does not exit while the device is alive.
 */
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext, type GpuContextOptions } from './device';

let installed = false;

/** `dawnOptions` are Dawn's create() flags, e.g. ['backend=vulkan', 'adapter=NAME']. */
export async function createNodeGpuContext(
  options: GpuContextOptions = {},
  dawnOptions: string[] = [],
): Promise<GpuContext> {
  if (!installed) {
    Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, GPUShaderStage, ...
    installed = true;
  }
  return createGpuContext(create(dawnOptions), { environment: 'node', ...options });
}
