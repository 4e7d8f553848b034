// xc = x − b row by row, with b at biasOffset in θ: a TopK SAE encodes x − b_dec (openai's
// pre_bias), and its encoder's weight gradient needs the same centred rows, so they are formed
// once per piece. x and out are rows × cols4 vec4s (x from row xOffset/cols4); padding stays 0.
// One subtraction: exact to one rounding.

override WG: u32 = 64;

struct Params {
  rows: u32,
  cols: u32,
  cols4: u32,
  xOffset: u32,
  biasOffset: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * p.gridWidth;
  if (j >= p.rows * p.cols4) {
    return;
  }
  let c = (j % p.cols4) * 4u;
  let last = p.cols - 1u;
  let b = vec4f(bias[p.biasOffset + min(c, last)], bias[p.biasOffset + min(c + 1u, last)], bias[p.biasOffset + min(c + 2u, last)], bias[p.biasOffset + min(c + 3u, last)]);
  let valid = vec4u(c, c + 1u, c + 2u, c + 3u) < vec4u(p.cols);
  out[j] = select(vec4f(0.0), x[p.xOffset + j] - b, valid);
}
