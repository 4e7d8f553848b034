// The command-line tools as one ES module each, built with esbuild, so that a command starts
// without tsx: tsx transforms each of the tool's ~150 modules as Node loads them, through a
// loader thread, which cost about 0.55 s of every run (1.62 s against 1.07 s from the command
// to the end of `train --iters 0`, same machine). esbuild bundles src/cli/<tool>.ts in about
// 0.1 s, so the bundle is built on every run from the sources as they are: it can never be
// stale. It is written once per content (named by its hash) into the project's cache folder,
// inside node_modules so that the packages it leaves external resolve from there as they do
// from src/; a concurrent run writes the same bytes and renames over the same name.
//
// Usage: const file = await bundleCommand('train') → the bundle's path, or undefined when it
// could not be built or written (scripts/cli.mjs then runs the sources through tsx as before).
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Beside the other things this project keeps in node_modules/.cache (src/io/cache-folder.ts, ensure-system.mjs's probe stamp). */
export const BUNDLE_FOLDER = join(ROOT, 'node_modules', '.cache', 'webgpu-sparse-autoencoder', 'cli');
/** Bundles of other contents older than this are removed (another checkout's or an edit's). */
const STALE_MS = 7 * 24 * 3600 * 1000;

/** SAE_CLI_BUNDLE=off runs the sources through tsx (what the tests that time nothing compare against). */
export const BUNDLE_VARIABLE = 'SAE_CLI_BUNDLE';

export async function bundleCommand(command, env = process.env) {
  if (env[BUNDLE_VARIABLE] === 'off') return undefined;
  let text;
  try {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [join(ROOT, 'src', 'cli', `${command}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // npm packages stay imports (Dawn's native module among them); the sources are bundled.
      packages: 'external',
      // `import source from './x.wgsl?raw'`, as Vite and scripts/wgsl-hooks.mjs give it: the text.
      loader: { '.wgsl': 'text' },
      // Stack traces name src/ lines (node --enable-source-maps).
      sourcemap: 'inline',
      sourceRoot: ROOT,
      write: false,
      logLevel: 'silent',
    });
    text = result.outputFiles[0].contents;
  } catch {
    return undefined; // tsx will report what is wrong with the sources, as it always has
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = join(BUNDLE_FOLDER, `${command}-${hash}.mjs`);
  try {
    const now = new Date();
    await utimes(file, now, now); // in use: not stale for another run's cleaning
    return file;
  } catch {
    // not written yet
  }
  try {
    await mkdir(BUNDLE_FOLDER, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, file);
  } catch {
    return undefined;
  }
  await removeStale(file);
  return file;
}

async function removeStale(current) {
  try {
    const now = Date.now();
    for (const name of await readdir(BUNDLE_FOLDER)) {
      const path = join(BUNDLE_FOLDER, name);
      if (path === current) continue;
      const { mtimeMs } = await stat(path);
      if (now - mtimeMs > STALE_MS) await unlink(path);
    }
  } catch {
    // another run removed it first, or the folder is not ours to clean: harmless
  }
}
