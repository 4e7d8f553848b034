// `npm run bench:sae`: bench/sae.ts bundled by esbuild, then run. TensorFlow.js's ES modules
// (the only build with its gradients, dist/register_all_gradients.js) import paths without file
// extensions, which Node's ES module loader (and tsx) refuse; a bundle resolves them as Vite does
// for the pages. The WGSL imports (`?raw`) become strings as in bench/device/pack.sh. Packages
// with native parts or their own files (Dawn's webgpu, Playwright, Vite) stay external.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}bench-results/.build/sae.mjs`;
const wgsl = {
  name: 'wgsl-raw',
  setup(b) {
    b.onResolve({ filter: /\.wgsl\?raw$/ }, (args) => ({ path: new URL(args.path.replace('?raw', ''), `file://${args.resolveDir}/`).pathname, namespace: 'wgsl' }));
    b.onLoad({ filter: /.*/, namespace: 'wgsl' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};
await build({
  entryPoints: [`${root}bench/sae.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  external: ['webgpu', '@playwright/test', 'playwright', 'vite', 'esbuild'],
  plugins: [wgsl],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const run = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
