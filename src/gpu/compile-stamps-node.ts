/**
 * Node only: which sets of pipelines this machine's shader cache already holds, so that a run
 * warms up (./warm-up.ts) only where that overlaps real compiles. On lavapipe the warm-up is
 * what lets a fresh machine compile while the data load; once Mesa's disk cache holds a set,
 * the same warm-up only puts ~0.4 s of the main thread's work ahead of the data.
 *
 * A set is named by a SHA-256 over the adapter (vendor, architecture, device, description,
 * driver), Mesa's cache folder (MESA_SHADER_CACHE_DIR) and each program's shader, entry point,
 * constants and bindings; the names are kept in compiled-pipelines.json in the project's cache
 * folder (src/io/cache-folder.ts), the newest MAX_SETS. A file that is missing or unreadable
 * means "not compiled": the warm-up runs, as on a fresh machine. A shader cache emptied behind
 * our back costs only the overlap: its pipelines then compile at their first dispatch, as they
 * did before the warm-up existed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheFolder } from '../io/cache-folder';
import type { AdapterSummary } from './adapter';
import { describePipeline } from './pipelines';
import type { KernelProgram } from './programs';
import type { CompileStamps } from './warm-up';

/** Sets remembered; older ones are forgotten (and warmed up again if they come back). */
export const MAX_SETS = 64;

export function compiledSetKey(adapter: AdapterSummary, programs: readonly KernelProgram[], env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  hash.update([adapter.vendor, adapter.architecture, adapter.device, adapter.description, adapter.driver ?? '', env.MESA_SHADER_CACHE_DIR ?? ''].join('|'));
  const shaderHashes = new Map<string, string>(); // many programs share a shader
  const described = programs.map((p) => {
    let shaderHash = shaderHashes.get(p.shader.code);
    if (shaderHash === undefined) shaderHashes.set(p.shader.code, (shaderHash = createHash('sha256').update(p.shader.code).digest('hex')));
    return describePipeline(p, shaderHash);
  });
  for (const line of [...new Set(described)].sort()) hash.update(`\n${line}`);
  return hash.digest('hex');
}

/** The stamps in `file` (default: compiled-pipelines.json in the cache folder, as it is at each call; none with SAE_CACHE_DIR=off). */
export function fileCompileStamps(file?: string): CompileStamps {
  const where = () => file ?? defaultFile();
  const read = async (path: string): Promise<string[]> => {
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as { sets?: unknown };
      return Array.isArray(parsed.sets) ? parsed.sets.filter((s): s is string => typeof s === 'string') : [];
    } catch {
      return [];
    }
  };
  return {
    async has(adapter, programs) {
      const path = where();
      return path !== undefined && (await read(path)).includes(compiledSetKey(adapter, programs));
    },
    async add(adapter, programs) {
      const path = where();
      if (path === undefined) return;
      const key = compiledSetKey(adapter, programs);
      const sets = [key, ...(await read(path)).filter((s) => s !== key)].slice(0, MAX_SETS);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ sets }, null, 1)}\n`);
      await rename(temporary, path);
    },
  };
}

function defaultFile(): string | undefined {
  const folder = cacheFolder();
  return folder === undefined ? undefined : join(folder, 'compiled-pipelines.json');
}
