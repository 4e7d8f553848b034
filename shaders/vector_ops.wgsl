// Elementwise vector updates for the optimizers, on θ-sized f32 vectors in GPU buffers.
//
// A scalar factor is `scale · coef[slot]`: either a number the CPU put in the uniforms (with
// slot pointing at the constant 1), or a coefficient the GPU computed itself (an L-BFGS α or
// β), so the two-loop recursion runs without reading anything back.
//
//   axpy:  y ← (overwrite ? 0 : y) + scale·coef[slot]·x      (copy is overwrite with factor 1)
//   scale: y ← scale·coef[slot]·y                              (x is not read)

override WG: u32 = 64;

struct Params {
  n: u32,
  slot: u32,
  scale: f32,
  overwrite: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> coef: array<f32>;

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
  let a = p.scale * coef[p.slot];
  let base = select(y[i], 0.0, p.overwrite != 0u);
  y[i] = fma(a, x[i], base);
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= p.n) {
    return;
  }
  y[i] = p.scale * coef[p.slot] * y[i];
}
