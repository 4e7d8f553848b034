/**
 * Node only: the tuner's cache (./tuner.ts) as one JSON file, node_modules/.cache/webgpu-sae/
 * kernel-tuning.json beside the project's packages (where build tools keep their caches), or the
 * platform's cache folder when there is no node_modules to write in. SAE_CACHE_DIR moves it.
 * A file that is not JSON, or not this tuner's, is replaced; writes go through a temporary file
 * and a rename, so a crash never leaves half a file.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TuningCache, TuningEntry } from './tuner';

export const CACHE_DIR_VARIABLE = 'SAE_CACHE_DIR';
/** With SAE_NO_TUNE=1 the commands run the table's kernels, as --no-tune: the test suite sets it (a race per context would cost it seconds). */
export const NO_TUNE_VARIABLE = 'SAE_NO_TUNE';

/** The folder for this project's caches. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env[CACHE_DIR_VARIABLE]) return env[CACHE_DIR_VARIABLE];
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (existsSync(join(root, 'node_modules'))) return join(root, 'node_modules', '.cache', 'webgpu-sae');
  const platform = process.platform === 'darwin' ? join(homedir(), 'Library', 'Caches') : process.platform === 'win32' ? (env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local')) : (env.XDG_CACHE_HOME ?? join(homedir(), '.cache'));
  return join(platform, 'webgpu-sae');
}

interface CacheFile {
  entries: Record<string, unknown>;
}

async function readEntries(file: string): Promise<Record<string, unknown>> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFile>;
    return typeof parsed.entries === 'object' && parsed.entries !== null && !Array.isArray(parsed.entries) ? parsed.entries : {};
  } catch {
    return {}; // missing or corrupt: rebuilt by the next write
  }
}

export function fileTuningCache(file = join(cacheDirectory(), 'kernel-tuning.json')): TuningCache & { file: string } {
  return {
    file,
    async read(key) {
      return (await readEntries(file))[key];
    },
    async write(entry: TuningEntry) {
      const entries = await readEntries(file);
      entries[entry.key] = entry;
      await mkdir(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ entries } satisfies CacheFile, null, 1)}\n`);
      await rename(temporary, file);
    },
  };
}
