/**
 * The prepared-images cache in Node: one file per preparation in the project's cache folder
 * (src/io/cache-folder.ts).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheFolder } from '../io/cache-folder';
import type { PreparedStore } from './prepared-cache';

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
