// Scratch: bundles device-check.ts (WGSL ?raw imports inlined) into one ESM file for plain node.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

await build({
  entryPoints: ['bench/tune/device-check.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu'],
  outfile: 'bench/tune/device-check.bundle.mjs',
  plugins: [
    {
      name: 'wgsl-raw',
      setup(b) {
        b.onResolve({ filter: /\.wgsl\?raw$/ }, async (args) => ({
          path: new URL(args.path.replace(/\?raw$/, ''), `file://${args.resolveDir}/`).pathname,
          namespace: 'wgsl',
        }));
        b.onLoad({ filter: /.*/, namespace: 'wgsl' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
      },
    },
  ],
});
