/**
 * Node only: a GPU context through Dawn's `webgpu` package (lavapipe on machines without a GPU).
 * Destroy the context when done: Node does not exit while the device is alive.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext, type GpuContextOptions } from './device';
import { NoAdapterError } from './errors';

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
  try {
    const ctx = await createGpuContext(create(dawnOptions), { environment: 'node', ...options });
    const loseAfter = Number(process.env[LOSE_DEVICE_VARIABLE] ?? 0);
    if (loseAfter > 0) loseDeviceAfterSubmissions(ctx.device, loseAfter);
    return ctx;
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    const cause = likelyCauseOfNoAdapter();
    throw new NoAdapterError(cause ? `${error.message} Likely cause: ${cause}.` : error.message);
  }
}

/**
 * For end-to-end tests only: with SAE_TEST_LOSE_DEVICE_AFTER_SUBMISSIONS=N in the environment,
 * every device made here is destroyed right after its N-th queue submission, so a test meets a
 * GPU lost in the middle of a run exactly as a user would (a driver reset, an unplugged eGPU),
 * through every command's own error path. The trainer page's ?testHooks=1 does the same in the
 * browser.
 */
export const LOSE_DEVICE_VARIABLE = 'SAE_TEST_LOSE_DEVICE_AFTER_SUBMISSIONS';

function loseDeviceAfterSubmissions(device: GPUDevice, submissions: number): void {
  const submit = device.queue.submit.bind(device.queue);
  let count = 0;
  device.queue.submit = (commandBuffers: Iterable<GPUCommandBuffer>) => {
    submit(commandBuffers);
    if (++count === submissions) device.destroy();
  };
}

const ICD_FOLDERS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * Why Dawn found no Vulkan adapter here, where it can be told: VK_ICD_FILENAMES naming files that
 * are not there, no Vulkan driver installed at all, or a Mesa older than Dawn accepts (Debian
 * 12's own 22.3).
 */
export function likelyCauseOfNoAdapter(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const listed = (env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES)?.split(':').filter(Boolean);
  if (listed && listed.length > 0) {
    const missing = listed.filter((file) => !existsSync(file));
    if (missing.length === listed.length) return `VK_ICD_FILENAMES points at ${missing.join(', ')}, which does not exist`;
    return `VK_ICD_FILENAMES limits Vulkan to ${listed.join(', ')}`;
  }
  const drivers = ICD_FOLDERS.filter(existsSync).flatMap((folder) => readdirSync(folder).filter((name) => name.endsWith('.json')));
  if (drivers.length === 0) return `no Vulkan driver is installed (no ICD file in ${ICD_FOLDERS.join(', ')})`;
  try {
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'mesa-vulkan-drivers'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const major = Number(/^(?:\d+:)?(\d+)\./.exec(version)?.[1]);
    if (major > 0 && major < 24) return `Mesa ${version.split('-')[0]} is installed, and Dawn needs Mesa ≥ 24`;
  } catch {
    // Not Debian, or no Mesa package: nothing more to tell.
  }
  return undefined;
}
