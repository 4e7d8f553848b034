// First level of a column sum over rows: partials[chunk][col] = Σ of the chunk's rows of a
// rows × (4·cols4) matrix (vec4-padded). sum_slices.wgsl sums the chunks. Used for
// ρ̂ = column means of a⁽²⁾.
//
// One thread per (vec4 column, chunk of CHUNK_ROWS rows), rows visited in order into four
// interleaved accumulators: the longest sequential chain is CHUNK_ROWS/4 + 2 additions.

override WG: u32 = 8;
override CHUNK_ROWS: u32 = 64;

struct Params {
  rows: u32,
  cols4: u32,
  srcOffset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partials: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u) {
  let col4 = gid.x;
  if (col4 >= p.cols4) {
    return;
  }
  let chunk = wg.y;
  let rowBegin = chunk * CHUNK_ROWS;
  let rowEnd = min(p.rows, rowBegin + CHUNK_ROWS);
  var s: array<vec4f, 4>;
  var r = rowBegin;
  for (; r + 4u <= rowEnd; r += 4u) {
    for (var q = 0u; q < 4u; q++) {
      s[q] += src[p.srcOffset + (r + q) * p.cols4 + col4];
    }
  }
  for (var q = 0u; r < rowEnd; r++) {
    s[q] += src[p.srcOffset + r * p.cols4 + col4];
    q++;
  }
  partials[chunk * p.cols4 + col4] = (s[0] + s[1]) + (s[2] + s[3]);
}
