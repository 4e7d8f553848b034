// Copies a rows × cols row-major block out of a flat f32 buffer (θ's W1 or W2 block, at an
// element offset) into a row-major matrix of outRows × 4·cols4, zero-filled, that the matmul
// kernels read as vec4s. Padding with zeros makes every padded row and column contribute
// nothing to a product.

override WG: u32 = 64;

struct Params {
  rows: u32,
  cols: u32,
  outRows: u32,
  cols4: u32,
  srcOffset: u32,
  // Threads per row of the dispatch grid (workgroups in x × WG), for grids taller than 65535.
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * p.gridWidth + gid.x;
  if (i >= p.outRows * p.cols4) {
    return;
  }
  let r = i / p.cols4;
  let c = (i % p.cols4) * 4u;
  var v = vec4f(0.0);
  if (r < p.rows) {
    let base = p.srcOffset + r * p.cols + c;
    for (var e = 0u; e < 4u; e++) {
      if (c + e < p.cols) {
        v[e] = src[base + e];
      }
    }
  }
  dst[i] = v;
}
