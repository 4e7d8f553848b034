// im2col for cnnConvolve as one matrix product: row i·convDim² + (r·convDim + c) holds the patch
// of image i at (r, c), laid out as a feature's weights are (channel planes, row-major), padded
// with zeros to `ld` (a multiple of 4) for the vec4 matmul. Then σ(cols·W′ᵀ + b′) is the
// matmul's NN bias + sigmoid epilogue. A copy: no arithmetic, no round-off.

override WG: u32 = 64;

struct Params {
  images: u32,
  channels: u32,
  imageDim: u32,
  patchDim: u32,
  convDim: u32,
  ld: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> images: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let index = gid.y * p.gridWidth + gid.x;
  let area = p.convDim * p.convDim;
  if (index >= p.images * area * p.ld) {
    return;
  }
  let k = index % p.ld;
  let row = index / p.ld;
  let v = p.channels * p.patchDim * p.patchDim;
  if (k >= v) {
    cols[index] = 0.0;
    return;
  }
  let i = row / area;
  let r = (row % area) / p.convDim;
  let c = row % p.convDim;
  let ch = k / (p.patchDim * p.patchDim);
  let y = (k / p.patchDim) % p.patchDim;
  let x = k % p.patchDim;
  cols[index] = images[((i * p.channels + ch) * p.imageDim + r + y) * p.imageDim + c + x];
}
