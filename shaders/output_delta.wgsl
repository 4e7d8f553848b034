// δ⁽³⁾ = (a⁽³⁾ − x) · a⁽³⁾(1 − a⁽³⁾) for a sigmoid output, a⁽³⁾ − x for a LINEAR one (the linear
// decoder), elementwise over the m × visible output, fused with the
// first level of two reductions over the same rows:
//   squaredError[chunk][col] = Σ (a⁽³⁾ − x)²   (the reconstruction cost, before 1/2m)
//   deltaSum[chunk][col]     = Σ δ⁽³⁾           (∇b2 = column means of δ⁽³⁾)
// sum_slices.wgsl then sums the chunks. x is read from the data set at row xRowOffset
// (the first example of the batch). Padding columns are zero in a⁽³⁾ and x, so δ = 0 there.
//
// One thread per (vec4 column, chunk of CHUNK_ROWS rows), four interleaved accumulators per
// sum: the chain is CHUNK_ROWS/4 + 2 additions.

override WG: u32 = 8;
override CHUNK_ROWS: u32 = 64;
override LINEAR: bool = false;

struct Params {
  rows: u32,
  cols4: u32,
  // Offset of the batch's first example in the data set, in vec4s.
  xOffset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a3: array<vec4f>;
@group(0) @binding(2) var<storage, read> x: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> delta3: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> squaredError: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> deltaSum: array<vec4f>;

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
  var ds: array<vec4f, 4>;
  var q = 0u;
  for (var r = rowBegin; r < rowEnd; r++) {
    let i = r * p.cols4 + col4;
    let a = a3[i];
    let d = a - x[p.xOffset + i];
    var delta = d;
    if (!LINEAR) {
      delta = d * a * (1.0 - a);
    }
    delta3[i] = delta;
    sq[q] = fma(d, d, sq[q]);
    ds[q] += delta;
    q = (q + 1u) & 3u;
  }
  let out = chunk * p.cols4 + col4;
  squaredError[out] = (sq[0] + sq[1]) + (sq[2] + sq[3]);
  deltaSum[out] = (ds[0] + ds[1]) + (ds[2] + ds[3]);
}
