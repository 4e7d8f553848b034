// The softmax output layer of softmaxCost.m / stackedAECost.m, one thread per example r:
//   p = exp(z_r − max z_r) / Σ_c exp(z_r − max z_r)          (stable for any z)
//   δ_out[r, c] = p_c − [c = y_r]                             (padding columns 0)
//   −log p_{y_r} = log Σ_c exp(z_r − max z_r) − (z_{r,y} − max z_r)
// fused with the first level of Σ_r −log p_{y_r}: one partial per workgroup of WG examples, a
// tree over the workgroup (classifier_cost.wgsl sums the partials).
//
// z and δ_out are rows × ld (ld = classes rounded up to 4), row-major; labels are u32 at
// labelOffset + r. The chains: `classes` additions for the row's Σ exp, log2(WG) for the tree.

override WG: u32 = 64;

struct Params {
  rows: u32,
  classes: u32,
  ld: u32,
  labelOffset: u32,
  // Where this batch's partials start (a data set evaluated in pieces, src/gpu/classifier.ts).
  partialOffset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> deltaOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u) {
  let r = wg.x * WG + t;
  var nll = 0.0;
  if (r < p.rows) {
    let base = r * p.ld;
    let y = labels[p.labelOffset + r];
    var top = z[base];
    for (var c = 1u; c < p.classes; c++) {
      top = max(top, z[base + c]);
    }
    var total = 0.0;
    for (var c = 0u; c < p.classes; c++) {
      total += exp(z[base + c] - top);
    }
    for (var c = 0u; c < p.ld; c++) {
      var d = 0.0;
      if (c < p.classes) {
        d = exp(z[base + c] - top) / total - select(0.0, 1.0, c == y);
      }
      deltaOut[base + c] = d;
    }
    nll = log(total) - (z[base + y] - top);
  }
  sums[t] = nll;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      sums[t] += sums[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    partials[p.partialOffset + wg.x] = sums[0];
  }
}
