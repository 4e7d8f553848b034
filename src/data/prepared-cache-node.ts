/**
 * The prepared-images cache in Node: one file per preparation in
 * node_modules/.cache/webgpu-sparse-autoencoder/ (the folder build tools use for caches, so
 * `rm -rf node_modules` or `npm ci` clears it), or, where there is no node_modules beside the
 * sources (a bundle), the platform's cache folder ($XDG_CACHE_HOME or ~/.cache). SAE_CACHE_DIR
 * names another folder; SAE_CACHE_DIR=off turns the cache off.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreparedStore } from './prepared-cache';

const FOLDER = 'webgpu-sparse-autoencoder';

/** The cache folder, or undefined when SAE_CACHE_DIR=off. */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.SAE_CACHE_DIR;
  if (chosen === 'off') return undefined;
  if (chosen) return chosen;
  const modules = fileURLToPath(new URL('../../node_modules', import.meta.url));
  if (existsSync(modules)) return join(modules, '.cache', FOLDER);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), FOLDER);
}

/** Entries as files `<folder>/<name>.bin`, each written whole (to a temporary name, then renamed). */
export function nodePreparedStore(folder: string | undefined = cacheFolder()): PreparedStore | undefined {
  if (folder === undefined) return undefined;
  const path = (name: string) => join(folder, `${name}.bin`);
  return {
    where: folder,
    async read(name) {
      try {
        const buffer = await readFile(path(name));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch {
        return undefined;
      }
    },
    async write(name, bytes) {
      await mkdir(folder, { recursive: true });
      const temporary = `${path(name)}.${process.pid}.tmp`;
      await writeFile(temporary, bytes);
      await rename(temporary, path(name));
    },
  };
}
