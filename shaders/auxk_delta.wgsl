// AuxK's output delta (Gao et al. 2024): the dead latents' reconstruction ê = z_aux·W_dec (no
// bias) fits the main path's residual e = x − x̂, a constant here. With δ_out = x̂ − x from the
// main head, ê − e = ê + δ_out, so
//   deltaAux = α·(ê + δ_out)                       (δ of α·½‖ê − e‖², the model layer's scale)
//   squaredError[chunk][col] = Σ (ê + δ_out)²      (the aux loss before α/2m; sum_slices sums chunks)
// elementwise over rows × cols4 vec4s; padding is 0 in both inputs and stays 0.
//
// One thread per (vec4 column, chunk of CHUNK_ROWS rows), four interleaved accumulators: the
// chain is CHUNK_ROWS/4 + 2, as in output_delta.wgsl.

override WG: u32 = 8;
override CHUNK_ROWS: u32 = 64;

struct Params {
  rows: u32,
  cols4: u32,
  coefficient: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> eHat: array<vec4f>;
@group(0) @binding(2) var<storage, read> deltaOut: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> deltaAux: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> squaredError: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let col4 = gid.x;
  if (col4 >= p.cols4) {
    return;
  }
  let chunk = wg.y;
  let rowBegin = chunk * CHUNK_ROWS;
  let rowEnd = min(p.rows, rowBegin + CHUNK_ROWS);
  var sq: array<vec4f, 4>;
  var q = 0u;
  for (var r = rowBegin; r < rowEnd; r++) {
    let i = r * p.cols4 + col4;
    let d = eHat[i] + deltaOut[i];
    deltaAux[i] = p.coefficient * d;
    sq[q] = fma(d, d, sq[q]);
    q = (q + 1u) & 3u;
  }
  squaredError[chunk * p.cols4 + col4] = (sq[0] + sq[1]) + (sq[2] + sq[3]);
}
