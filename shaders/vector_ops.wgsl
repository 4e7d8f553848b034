// Elementwise vector updates for the first-order optimizers, on θ-sized f32 vectors in GPU
// buffers, with the factor from the CPU in the uniforms.
//
//   axpy:  y ← (overwrite ? 0 : y) + a·x      (copy is overwrite with a = 1)
//   scale: y ← a·y

override WG: u32;

struct Params {
  n: u32,
  a: f32,
  overwrite: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// A 1-D index over a 2-D dispatch (a vector may need more than 65535 workgroups in x).
fn index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn axpy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= p.n) {
    return;
  }
  let base = select(y[i], 0.0, p.overwrite != 0u);
  y[i] = fma(p.a, x[i], base);
}

@group(0) @binding(1) var<storage, read_write> scaled: array<f32>;

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= p.n) {
    return;
  }
  scaled[i] = p.a * scaled[i];
}
