// Reductions over θ-sized f32 vectors for L-BFGS: aᵀb, Σ|a|, max|a| — in two levels, so no
// accumulation chain is longer than a chunk.
//
//   partials: partials[g] = the reduction over chunk g = [g·chunk, (g+1)·chunk)
//   finalize: one workgroup reduces the partials to a total t and stores
//             coef[dst] = coef[aSlot] + coef[bSlot]·bScale·t
//             which gives a plain result (aSlot → 0, bSlot → 1), an L-BFGS αᵢ = ρᵢ·sᵢᵀq
//             (bSlot → ρᵢ), or αᵢ − βᵢ = αᵢ − ρᵢ·yᵢᵀr (aSlot → αᵢ, bSlot → ρᵢ, bScale = −1).
//
// max|a| propagates NaN explicitly (WGSL's max need not), so the optimizer's finiteness test
// sees a NaN gradient.

override WG: u32 = 64;

const MODE_DOT = 0u;
const MODE_SUM_ABS = 1u;
const MODE_MAX_ABS = 2u;

struct PartialParams {
  n: u32,
  chunk: u32,
  mode: u32,
}

struct FinalizeParams {
  count: u32,
  mode: u32,
  dst: u32,
  aSlot: u32,
  bSlot: u32,
  bScale: f32,
}

@group(0) @binding(0) var<uniform> pp: PartialParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partialsOut: array<f32>;

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn combine(mode: u32, s: f32, v: f32) -> f32 {
  if (mode == MODE_MAX_ABS) {
    if (isNan(s) || isNan(v)) {
      return s + v; // NaN (a NaN literal would be folded away at compile time)
    }
    return max(s, v);
  }
  return s + v;
}

@compute @workgroup_size(WG)
fn partials(@builtin(global_invocation_id) gid: vec3u) {
  let begin = gid.x * pp.chunk;
  if (begin >= pp.n) {
    return;
  }
  let end = min(pp.n, begin + pp.chunk);
  // Four interleaved accumulators: chains of chunk/4.
  var s = vec4f(0.0);
  var i = begin;
  for (; i + 4u <= end; i += 4u) {
    let va = vec4f(a[i], a[i + 1u], a[i + 2u], a[i + 3u]);
    if (pp.mode == MODE_DOT) {
      s = fma(va, vec4f(b[i], b[i + 1u], b[i + 2u], b[i + 3u]), s);
    } else {
      for (var e = 0u; e < 4u; e++) {
        s[e] = combine(pp.mode, s[e], abs(va[e]));
      }
    }
  }
  for (var e = 0u; i < end; i++) {
    let term = select(abs(a[i]), a[i] * b[i], pp.mode == MODE_DOT);
    s[e] = combine(pp.mode, s[e], term);
    e++;
  }
  partialsOut[gid.x] = combine(pp.mode, combine(pp.mode, s.x, s.y), combine(pp.mode, s.z, s.w));
}

@group(0) @binding(0) var<uniform> fp: FinalizeParams;
@group(0) @binding(1) var<storage, read> partialsIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> coef: array<f32>;

var<workgroup> tree: array<f32, WG>;

@compute @workgroup_size(WG)
fn finalize(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
  for (var i = t; i < fp.count; i += WG) {
    s = combine(fp.mode, s, partialsIn[i]);
  }
  tree[t] = s;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (t < width) {
      tree[t] = combine(fp.mode, tree[t], tree[t + width]);
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    coef[fp.dst] = coef[fp.aSlot] + coef[fp.bSlot] * fp.bScale * tree[0];
  }
}
