// cnnPool: the mean of each poolDim × poolDim region of each convolved map (src/reference/conv.ts,
// its float64 twin). Regions are laid from the top-left corner; rows and columns past the last
// whole region are left out.
//
//   convolved  maps × convDim × convDim     (maps = images × features), feature-major as
//              shaders/convolve.wgsl writes it; or, with POSITION_MAJOR, images × convDim² × ld
//              as im2col + matmul writes it (each position's F features in a row of ld)
//   pooled     maps × pooledDim × pooledDim  either way
//
// One thread per pooled value: poolDim² additions in order, then one product by 1/poolDim²
// (itself rounded to f32 on the host): a chain of poolDim² + 2 roundings.

override WG: u32 = 64;
override POSITION_MAJOR: bool = false;

struct Params {
  maps: u32,
  convDim: u32,
  poolDim: u32,
  pooledDim: u32,
  gridWidth: u32,
  scale: f32,
  // POSITION_MAJOR only: the features per image and the row length of the product (F padded to 4).
  features: u32,
  ld: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> convolved: array<f32>;
@group(0) @binding(2) var<storage, read_write> pooled: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let index = gid.y * p.gridWidth + gid.x;
  let area = p.pooledDim * p.pooledDim;
  if (index >= p.maps * area) {
    return;
  }
  let m = index / area;
  let pr = (index % area) / p.pooledDim;
  let pc = index % p.pooledDim;
  var sum = 0.0;
  for (var y = 0u; y < p.poolDim; y++) {
    if (POSITION_MAJOR) {
      let i = m / p.features;
      let f = m % p.features;
      let position = (pr * p.poolDim + y) * p.convDim + pc * p.poolDim;
      for (var x = 0u; x < p.poolDim; x++) {
        sum += convolved[((i * p.convDim * p.convDim) + position + x) * p.ld + f];
      }
    } else {
      let row = (m * p.convDim + pr * p.poolDim + y) * p.convDim + pc * p.poolDim;
      for (var x = 0u; x < p.poolDim; x++) {
        sum += convolved[row + x];
      }
    }
  }
  pooled[index] = p.scale * sum;
}
