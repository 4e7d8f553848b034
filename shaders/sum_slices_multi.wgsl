// sum_slices.wgsl for up to five reductions in one dispatch (the second levels an evaluation
// would otherwise dispatch one by one: ∇b2's and Σ(a−x)²'s tile sums, ∇W2's and ∇W1's split-K
// slices, ∇b1's tile sums). Workgroup row z = t does target t, reading partials from src<t> and
// writing out (the gradient) or out2 (a totals vector) as its `dest` says, exactly as
// sum_slices.wgsl would with the target's fields: the same order of additions, so the same bits.
//
//   out[outOffset + r·cols + c] (+)= scale · Σ_s src[s·sliceStride + r·ld + c] + λ·w[wOffset + r·cols + c]
//
// `accumulators` is 4 or 16 (sum_slices.wgsl's ACCUMULATORS), per target; the target, and so
// every branch on its fields, is uniform across a workgroup.

override WG: u32 = 64;

struct Params {
  targets: u32,
  // Threads per row of the dispatch grid (workgroups in x × WG), shared by the targets.
  gridWidth: u32,
  rows0: u32, cols0: u32, ld0: u32, sliceStride0: u32, slices0: u32, outOffset0: u32, wOffset0: u32, scale0: f32, lambda0: f32, accumulate0: u32, dest0: u32, accumulators0: u32,
  rows1: u32, cols1: u32, ld1: u32, sliceStride1: u32, slices1: u32, outOffset1: u32, wOffset1: u32, scale1: f32, lambda1: f32, accumulate1: u32, dest1: u32, accumulators1: u32,
  rows2: u32, cols2: u32, ld2: u32, sliceStride2: u32, slices2: u32, outOffset2: u32, wOffset2: u32, scale2: f32, lambda2: f32, accumulate2: u32, dest2: u32, accumulators2: u32,
  rows3: u32, cols3: u32, ld3: u32, sliceStride3: u32, slices3: u32, outOffset3: u32, wOffset3: u32, scale3: f32, lambda3: f32, accumulate3: u32, dest3: u32, accumulators3: u32,
  rows4: u32, cols4: u32, ld4: u32, sliceStride4: u32, slices4: u32, outOffset4: u32, wOffset4: u32, scale4: f32, lambda4: f32, accumulate4: u32, dest4: u32, accumulators4: u32,
}

struct Target {
  rows: u32,
  cols: u32,
  ld: u32,
  sliceStride: u32,
  slices: u32,
  outOffset: u32,
  wOffset: u32,
  scale: f32,
  lambda: f32,
  accumulate: u32,
  // 0: out, 1: out2.
  dest: u32,
  accumulators: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src0: array<vec4f>;
@group(0) @binding(2) var<storage, read> src1: array<vec4f>;
@group(0) @binding(3) var<storage, read> src2: array<vec4f>;
@group(0) @binding(4) var<storage, read> src3: array<vec4f>;
@group(0) @binding(5) var<storage, read> src4: array<vec4f>;
@group(0) @binding(6) var<storage, read> w: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read_write> out2: array<f32>;

fn targetAt(t: u32) -> Target {
  switch t {
    case 0u: { return Target(p.rows0, p.cols0, p.ld0, p.sliceStride0, p.slices0, p.outOffset0, p.wOffset0, p.scale0, p.lambda0, p.accumulate0, p.dest0, p.accumulators0); }
    case 1u: { return Target(p.rows1, p.cols1, p.ld1, p.sliceStride1, p.slices1, p.outOffset1, p.wOffset1, p.scale1, p.lambda1, p.accumulate1, p.dest1, p.accumulators1); }
    case 2u: { return Target(p.rows2, p.cols2, p.ld2, p.sliceStride2, p.slices2, p.outOffset2, p.wOffset2, p.scale2, p.lambda2, p.accumulate2, p.dest2, p.accumulators2); }
    case 3u: { return Target(p.rows3, p.cols3, p.ld3, p.sliceStride3, p.slices3, p.outOffset3, p.wOffset3, p.scale3, p.lambda3, p.accumulate3, p.dest3, p.accumulators3); }
    default: { return Target(p.rows4, p.cols4, p.ld4, p.sliceStride4, p.slices4, p.outOffset4, p.wOffset4, p.scale4, p.lambda4, p.accumulate4, p.dest4, p.accumulators4); }
  }
}

fn load(t: u32, i: u32) -> vec4f {
  switch t {
    case 0u: { return src0[i]; }
    case 1u: { return src1[i]; }
    case 2u: { return src2[i]; }
    case 3u: { return src3[i]; }
    default: { return src4[i]; }
  }
}

// Σ_s over `slices` slices in ACC interleaved accumulators summed in adjacent pairs, as
// sum_slices.wgsl (ACC = 4: (s0 + s1) + (s2 + s3)): the same additions in the same order.
fn sum4(t: u32, base: u32, stride: u32, slices: u32) -> vec4f {
  var s: array<vec4f, 4>;
  // Slice q goes to accumulator q mod 4, in order, as sum_slices.wgsl's unrolled loop and tail
  // add them. One load in the loop's body, not one per accumulator: each of load's five cases is
  // a loop over the lanes on lavapipe, and the unrolled form took Mesa 46 s to compile (at the
  // kernel's first dispatch, on an empty shader cache).
  for (var q = 0u; q < slices; q++) {
    s[q % 4u] += load(t, base + q * stride);
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

fn sum16(t: u32, base: u32, stride: u32, slices: u32) -> vec4f {
  var s: array<vec4f, 16>;
  for (var q = 0u; q < slices; q++) {
    s[q % 16u] += load(t, base + q * stride);
  }
  for (var width = 8u; width > 0u; width /= 2u) {
    for (var e = 0u; e < width; e++) {
      s[e] = s[2u * e] + s[2u * e + 1u];
    }
  }
  return s[0];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.z;
  if (t >= p.targets) {
    return;
  }
  let g = targetAt(t);
  let vecsPerRow = (g.cols + 3u) / 4u;
  let i = gid.y * p.gridWidth + gid.x;
  if (i >= g.rows * vecsPerRow) {
    return;
  }
  let r = i / vecsPerRow;
  let c = (i % vecsPerRow) * 4u;
  let base = (r * g.ld + c) / 4u;
  let stride = g.sliceStride / 4u;
  var sum: vec4f;
  if (g.accumulators == 16u) {
    sum = sum16(t, base, stride, g.slices);
  } else {
    sum = sum4(t, base, stride, g.slices);
  }
  let total = g.scale * sum;
  for (var e = 0u; e < 4u; e++) {
    if (c + e < g.cols) {
      let k = r * g.cols + c + e;
      var v = total[e];
      if (g.dest == 0u) {
        if (g.accumulate != 0u) {
          v += out[g.outOffset + k];
        }
        if (g.lambda != 0.0) {
          v += g.lambda * w[g.wOffset + k];
        }
        out[g.outOffset + k] = v;
      } else {
        if (g.accumulate != 0u) {
          v += out2[g.outOffset + k];
        }
        if (g.lambda != 0.0) {
          v += g.lambda * w[g.wOffset + k];
        }
        out2[g.outOffset + k] = v;
      }
    }
  }
}
