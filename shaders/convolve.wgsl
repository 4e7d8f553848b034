// cnnConvolve: every learned feature over every valid position of every image, in one dispatch,
// σ(W′·x + b′) with the whitening and the mean patch already folded into W′ and b′
// (src/reference/conv.ts, its float64 twin).
//
//   images     n × C × dim × dim, row-major channel planes
//   weights    F × (C·p·p), each feature laid out as a patch
//   out        n × F × convDim × convDim
//
// One thread per output, its dot product over C·p·p products in order after the bias: the chain
// is C·p·p + 1. Threads of a workgroup are neighbouring positions of one feature map, so they
// read the same weights and overlapping pixels (cached, on a software adapter as on a GPU).

override WG: u32 = 64;

struct Params {
  images: u32,
  channels: u32,
  imageDim: u32,
  features: u32,
  patchDim: u32,
  convDim: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> images: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let index = gid.y * p.gridWidth + gid.x;
  let area = p.convDim * p.convDim;
  if (index >= p.images * p.features * area) {
    return;
  }
  let position = index % area;
  let map = index / area;
  let f = map % p.features;
  let i = map / p.features;
  let r = position / p.convDim;
  let c = position % p.convDim;
  let v = p.channels * p.patchDim * p.patchDim;
  var z = bias[f];
  for (var ch = 0u; ch < p.channels; ch++) {
    for (var y = 0u; y < p.patchDim; y++) {
      let w0 = f * v + (ch * p.patchDim + y) * p.patchDim;
      let x0 = ((i * p.channels + ch) * p.imageDim + r + y) * p.imageDim + c;
      for (var x = 0u; x < p.patchDim; x++) {
        z += weights[w0 + x] * images[x0 + x];
      }
    }
  }
  out[index] = 1.0 / (1.0 + exp(-z));
}
