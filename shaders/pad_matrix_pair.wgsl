// pad_matrix.wgsl for two blocks in one dispatch (an autoencoder's W1 and W2): workgroup row
// z = 0 pads block 0 into dst0, z = 1 block 1 into dst1, each as pad_matrix.wgsl would (a rows ×
// cols block of the flat f32 source at an element offset, into a zero-filled outRows × 4·cols4
// vec4 matrix). The block is uniform across a workgroup, so no lane waits on the other block's.

override WG: u32 = 64;

struct Params {
  rows0: u32,
  cols0: u32,
  outRows0: u32,
  cols40: u32,
  srcOffset0: u32,
  rows1: u32,
  cols1: u32,
  outRows1: u32,
  cols41: u32,
  srcOffset1: u32,
  // Threads per row of the dispatch grid (workgroups in x × WG), for grids taller than 65535.
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst0: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> dst1: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let block = gid.z;
  let rows = select(p.rows0, p.rows1, block == 1u);
  let cols = select(p.cols0, p.cols1, block == 1u);
  let outRows = select(p.outRows0, p.outRows1, block == 1u);
  let cols4 = select(p.cols40, p.cols41, block == 1u);
  let srcOffset = select(p.srcOffset0, p.srcOffset1, block == 1u);
  let i = gid.y * p.gridWidth + gid.x;
  if (i >= outRows * cols4) {
    return;
  }
  let r = i / cols4;
  let c = (i % cols4) * 4u;
  var v = vec4f(0.0);
  if (r < rows) {
    let base = srcOffset + r * cols + c;
    for (var e = 0u; e < 4u; e++) {
      if (c + e < cols) {
        v[e] = src[base + e];
      }
    }
  }
  if (block == 0u) {
    dst0[i] = v;
  } else {
    dst1[i] = v;
  }
}
