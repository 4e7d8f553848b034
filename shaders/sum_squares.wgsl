// First level of Σ vᵢ² over a flat range of an f32 buffer (ΣW1² + ΣW2²: θ's two weight blocks
// are contiguous): partials[g] = Σ of the squares in [g·CHUNK, (g+1)·CHUNK). cost.wgsl sums the
// partials. Four interleaved accumulators: the chain is CHUNK/4 + 2.

override WG: u32 = 64;
override CHUNK: u32 = 256;

struct Params {
  count: u32,
  srcOffset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x;
  let begin = g * CHUNK;
  if (begin >= p.count) {
    return;
  }
  let end = min(p.count, begin + CHUNK);
  var s = vec4f(0.0);
  var i = begin;
  for (; i + 4u <= end; i += 4u) {
    let v = vec4f(src[p.srcOffset + i], src[p.srcOffset + i + 1u], src[p.srcOffset + i + 2u], src[p.srcOffset + i + 3u]);
    s = fma(v, v, s);
  }
  for (var e = 0u; i < end; i++) {
    let v = src[p.srcOffset + i];
    s[e] = fma(v, v, s[e]);
    e++;
  }
  partials[g] = (s.x + s.y) + (s.z + s.w);
}
