// The command-line tools as one ES module each, built with esbuild, so that a command starts
// without tsx: tsx transforms each of the tool's ~150 modules as Node loads them, through a
// loader thread, which cost about 0.55 s of every run (1.62 s against 1.07 s from the command
// to the end of `train --iters 0`, same machine). esbuild bundles src/cli/<tool>.ts in about
// 0.3 s (with its source map). Beside each bundle a manifest lists the files it was built from
// with their sizes and modification times; while they all match, the bundle is run as it is
// (a few milliseconds of stat calls), and any difference, a file gone or an esbuild or Node of
// another version builds it again, so it is never stale. Bundles are named by their content's
// hash in the project's cache folder, inside node_modules so that the packages a bundle leaves
// external resolve from there as they do from src/; writes go through a temporary file and a
// rename, so concurrent runs never read half a file.
//
// Usage: const file = await bundleCommand('train') → the bundle's path, or undefined when it
// could not be built or written (scripts/cli.mjs then runs the sources through tsx as before).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
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
  // One manifest per checkout: worktrees may share one node_modules (a symbolic link), and
  // each must run its own sources.
  const checkout = createHash('sha256').update(ROOT).digest('hex').slice(0, 8);
  const manifestFile = join(BUNDLE_FOLDER, `${command}-${checkout}.manifest.json`);
  const built = await unchangedBundle(manifestFile);
  if (built) return built;
  let text;
  let inputs;
  const started = Date.now();
  try {
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
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
      metafile: true,
      absWorkingDir: ROOT,
      logLevel: 'silent',
    });
    text = result.outputFiles[0].contents;
    // Paths as esbuild lists them ('shaders/x.wgsl?raw' for the ?raw imports), without the query.
    inputs = await fileStamps(Object.keys(result.metafile.inputs).map((path) => join(ROOT, path.replace(/\?.*$/, ''))));
    // A file written while esbuild read it may not be what the bundle holds: no manifest then, so
    // the next run builds again (modification times can be a second coarse).
    if (Object.values(inputs.files).some(([, mtimeMs]) => mtimeMs >= started - 1000)) inputs = undefined;
    else inputs.versions = versions(esbuild.version);
  } catch {
    return undefined; // tsx will report what is wrong with the sources, as it always has
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = join(BUNDLE_FOLDER, `${command}-${hash}.mjs`);
  try {
    const now = new Date();
    await utimes(file, now, now); // in use: not stale for another run's cleaning
  } catch {
    try {
      await mkdir(BUNDLE_FOLDER, { recursive: true });
      await writeAtomically(file, text);
    } catch {
      return undefined;
    }
  }
  if (inputs) await writeAtomically(manifestFile, JSON.stringify({ bundle: file, ...inputs })).catch(() => {});
  await removeStale(file);
  return file;
}

function versions(esbuildVersion) {
  return { esbuild: esbuildVersion, node: process.version };
}

/** Each file's size and modification time (throws when one is missing). */
async function fileStamps(paths) {
  const files = {};
  for (const path of paths) {
    const { size, mtimeMs } = await stat(path);
    files[path] = [size, mtimeMs];
  }
  return { files };
}

/** The bundle its manifest names, if every file it was built from is as it was then. */
async function unchangedBundle(manifestFile) {
  try {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    const { version } = JSON.parse(await readFile(join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8'));
    if (JSON.stringify(manifest.versions) !== JSON.stringify(versions(version))) return undefined;
    const now = await fileStamps(Object.keys(manifest.files));
    for (const [path, stamp] of Object.entries(manifest.files)) {
      if (now.files[path][0] !== stamp[0] || now.files[path][1] !== stamp[1]) return undefined;
    }
    const at = new Date();
    await utimes(manifest.bundle, at, at); // in use: not stale for another run's cleaning
    return manifest.bundle;
  } catch {
    return undefined; // none yet, unreadable, a file gone: built again
  }
}

async function writeAtomically(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

async function removeStale(current) {
  try {
    const now = Date.now();
    for (const name of await readdir(BUNDLE_FOLDER)) {
      const path = join(BUNDLE_FOLDER, name);
      if (path === current) continue; // a manifest this old is rebuilt with its bundle when next needed
      const { mtimeMs } = await stat(path);
      if (now - mtimeMs > STALE_MS) await unlink(path);
    }
  } catch {
    // another run removed it first, or the folder is not ours to clean: harmless
  }
}
