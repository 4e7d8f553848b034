// The backward pass of a TopK SAE on its sparse form: only the (row, latent) pairs the selection
// kept with z > 0 carry gradient, so each step touches those pairs alone, B·k·d work instead of
// the dense products' B·latents·d.
//   backprop:        δ_pre[b, j] = W_dec,j · δ_out[b] for each kept pair (indices, values: rows × k
//                    from topk*.wgsl with SPARSE), written into the dense rows × ldz buffer at
//                    (b, j); entries of unkept pairs are left as they were, and nothing reads them.
//   buildLists:      for each latent j, the rows b with z[b, j] > 0, in increasing order (a
//                    column list, capacity `rows` a latent), and their count.
//   weightGradients: over latent j's list, ∇W_dec,j = scale·Σ z[b, j]·δ_out[b],
//                    ∇W_enc,j = scale·Σ δ_pre[b, j]·xc[b], ∇b_enc,j = scale·Σ δ_pre[b, j]; written
//                    (or added, `accumulate`) into the gradient at θ's layout (W1 = W_enc latents ×
//                    width and W2 = W_dec width × latents, both column-major).
//   decoderBias:     ∇b_dec −= W_encᵀ ∇b_enc: b_dec's path through xc = x − b_dec, once the encoder
//                    bias's gradient is complete (Σ_b δ_pre[b]·W_enc = m·∇b_enc·W_enc).
// One thread per kept pair, latent, (latent, four vec4s of width) or input. Adjacent threads of
// weightGradients share their latent, so a row index, z and δ_pre are one uniform load for them.

override WG: u32 = 64;

struct Params {
  rows: u32,
  k: u32,
  latents: u32,
  ldz: u32,
  width: u32,
  cols4: u32,
  w1: u32,
  b1: u32,
  w2: u32,
  b2: u32,
  scale: f32,
  accumulate: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// backprop
@group(0) @binding(1) var<storage, read> indices: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> wDec: array<vec4f>;
@group(0) @binding(4) var<storage, read> deltaOut: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> deltaPre: array<f32>;

// lists
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> lists: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;

// weightGradients
@group(0) @binding(1) var<storage, read> zKept: array<f32>;
@group(0) @binding(2) var<storage, read> rowLists: array<u32>;
@group(0) @binding(3) var<storage, read> rowCounts: array<u32>;
@group(0) @binding(4) var<storage, read> deltaRows: array<vec4f>;
@group(0) @binding(5) var<storage, read> deltaKept: array<f32>;
@group(0) @binding(6) var<storage, read> xc: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;

// decoderBias
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read_write> biasGrad: array<f32>;

fn index(gid: vec3u) -> u32 {
  return gid.x + gid.y * p.gridWidth;
}

@compute @workgroup_size(WG)
fn backprop(@builtin(global_invocation_id) gid: vec3u) {
  let i = index(gid);
  if (i >= p.rows * p.k) {
    return;
  }
  let v = values[i];
  // Padding pairs (0, 0) of a masked selection and kept entries the ReLU zeroed get no gradient.
  if (!(v > 0.0)) {
    return;
  }
  let j = indices[i];
  let b = i / p.k;
  var s = 0.0;
  for (var c4 = 0u; c4 < p.cols4; c4++) {
    s += dot(wDec[j * p.cols4 + c4], deltaOut[b * p.cols4 + c4]);
  }
  deltaPre[b * p.ldz + j] = s;
}

@compute @workgroup_size(WG)
fn buildLists(@builtin(global_invocation_id) gid: vec3u) {
  let j = index(gid);
  if (j >= p.latents) {
    return;
  }
  var n = 0u;
  for (var b = 0u; b < p.rows; b++) {
    if (z[b * p.ldz + j] > 0.0) {
      lists[j * p.rows + n] = b;
      n++;
    }
  }
  counts[j] = n;
}

// Four vec4s of the width a thread (C4 = 4): a row's index, z and δ_pre are loaded once for 16
// columns (lavapipe loads every non-uniform address lane by lane, so loads are its cost).
const C4 = 4u;

fn addGradient(at: u32, add: bool, value: f32) {
  grad[at] = select(0.0, grad[at], add) + p.scale * value;
}

fn writeGradients(j: u32, c4: u32, dec: vec4f, enc: vec4f, add: bool) {
  for (var e = 0u; e < 4u; e++) {
    let i = 4u * c4 + e;
    if (i < p.width) {
      addGradient(p.w2 + j * p.width + i, add, dec[e]);
      addGradient(p.w1 + i * p.latents + j, add, enc[e]);
    }
  }
}

@compute @workgroup_size(WG)
fn weightGradients(@builtin(global_invocation_id) gid: vec3u) {
  let groups = (p.cols4 + C4 - 1u) / C4;
  let t = index(gid);
  if (t >= p.latents * groups) {
    return;
  }
  let j = t / groups;
  let c0 = (t % groups) * C4;
  // Columns past the last vec4 read the last one again and are not written.
  let last = p.cols4 - 1u;
  let c = vec4u(c0, min(c0 + 1u, last), min(c0 + 2u, last), min(c0 + 3u, last));
  var dec0 = vec4f(0.0);
  var dec1 = vec4f(0.0);
  var dec2 = vec4f(0.0);
  var dec3 = vec4f(0.0);
  var enc0 = vec4f(0.0);
  var enc1 = vec4f(0.0);
  var enc2 = vec4f(0.0);
  var enc3 = vec4f(0.0);
  var bias = 0.0;
  let n = rowCounts[j];
  for (var q = 0u; q < n; q++) {
    let b = rowLists[j * p.rows + q];
    let zv = vec4f(zKept[b * p.ldz + j]);
    let dv = deltaKept[b * p.ldz + j];
    let base = b * p.cols4;
    dec0 = fma(zv, deltaRows[base + c.x], dec0);
    dec1 = fma(zv, deltaRows[base + c.y], dec1);
    dec2 = fma(zv, deltaRows[base + c.z], dec2);
    dec3 = fma(zv, deltaRows[base + c.w], dec3);
    enc0 = fma(vec4f(dv), xc[base + c.x], enc0);
    enc1 = fma(vec4f(dv), xc[base + c.y], enc1);
    enc2 = fma(vec4f(dv), xc[base + c.z], enc2);
    enc3 = fma(vec4f(dv), xc[base + c.w], enc3);
    bias += dv;
  }
  let add = p.accumulate != 0u;
  writeGradients(j, c0, dec0, enc0, add);
  if (c0 + 1u <= last) {
    writeGradients(j, c0 + 1u, dec1, enc1, add);
  }
  if (c0 + 2u <= last) {
    writeGradients(j, c0 + 2u, dec2, enc2, add);
  }
  if (c0 + 3u <= last) {
    writeGradients(j, c0 + 3u, dec3, enc3, add);
  }
  if (c0 == 0u) {
    addGradient(p.b1 + j, add, bias);
  }
}

@compute @workgroup_size(WG)
fn decoderBias(@builtin(global_invocation_id) gid: vec3u) {
  let i = index(gid);
  if (i >= p.width) {
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < p.latents; j++) {
    s = fma(theta[p.w1 + i * p.latents + j], biasGrad[p.b1 + j], s);
  }
  biasGrad[p.b2 + i] -= s;
}
