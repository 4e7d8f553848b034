/**
 * Node only: the one folder for what this project caches on a machine (prepared images, the
 * kernel tuner's choices, the WebGPU probe's stamp): node_modules/.cache/webgpu-sparse-autoencoder
 * beside the project's packages (where build tools keep their caches, so `npm ci` clears it), or
 * the platform's cache folder when there is no node_modules above the sources (a bundle carried
 * to another machine).
 * SAE_CACHE_DIR names another folder; SAE_CACHE_DIR=off turns caching off.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE_DIR_VARIABLE = 'SAE_CACHE_DIR';
const FOLDER = 'webgpu-sparse-autoencoder';

/** The cache folder, or undefined when SAE_CACHE_DIR=off. */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env[CACHE_DIR_VARIABLE];
  if (chosen === 'off') return undefined;
  if (chosen) return chosen;
  const modules = projectModules(dirname(fileURLToPath(import.meta.url)));
  if (modules) return join(modules, '.cache', FOLDER);
  const platform =
    process.platform === 'darwin'
      ? join(homedir(), 'Library', 'Caches')
      : process.platform === 'win32'
        ? (env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'))
        : env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(platform, FOLDER);
}

/**
 * The node_modules folder the code at `from` runs with: the nearest one above it, or the one it
 * is inside (the command-line bundles live in node_modules/.cache: scripts/cli-bundle.mjs).
 */
export function projectModules(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (basename(dir) === 'node_modules') return dir;
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules');
    if (dirname(dir) === dir) return undefined;
  }
}
