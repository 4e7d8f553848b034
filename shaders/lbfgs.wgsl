// L-BFGS on the GPU in the vector-free form (src/optim/vector-free.ts): the pairs sᵢ, yᵢ are rows
// of one ring matrix, the direction is one weighted sum of rows, and each evaluation ends with
// the inner products the CPU's coefficient recursion and minFunc's tests need.
//
// Vectors are θ-sized f32 arrays padded with zeros to whole vec4s (n4 of them). The pairs are
// two rings of m rows, S and Y (two buffers, so that each fits one storage binding), row j
// starting at j·stride4; pair slot j is S[j] and Y[j]. A row index r names S[r] for r < m and
// Y[r − m] after.
//
//   accept:    x ← x + t·d; with a new pair, S[slot] ← t·d, Y[slot] ← g₊ − g
//   direction: d ← c·g + Σⱼ coefⱼ·ring[rowⱼ] (terms in age order); x₊ ← x + t₀·d
//   trial:     x₊ ← x + t·d
//   products:  per (chunk, listed row r): rᵀd, rᵀg₊, rᵀ(g₊ − g); and for the extra last row
//              dᵀd, g₊ᵀd, (g₊ − g)ᵀd, g₊ᵀ(g₊ − g), ‖g₊ − g‖², Σ|g₊|, max|g₊|, max|d|, gᵀd
//   finalize:  sums (or maxima) over the chunks: report = [the 12 vector values (the last three
//              unused), then 3 per row]
//
// Max propagates NaN explicitly (WGSL's max need not), so the optimizer's finiteness tests see
// a NaN gradient.

override WG: u32 = 64;

struct Params {
  n4: u32,
  stride4: u32,
  // direction: number of ring terms; products: number of listed rows
  terms: u32,
  rows: u32,
  chunk4: u32,
  chunks: u32,
  // pair slots in each ring (m)
  capacity: u32,
  // accept
  acceptStep: f32,
  addPair: u32,
  slot: u32,
  // direction and trial
  gCoef: f32,
  trialStep: f32,
}

struct Term {
  row: u32,
  coef: f32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn maxNan(a: f32, b: f32) -> f32 {
  if (isNan(a) || isNan(b)) {
    return a + b; // NaN (a NaN literal would be folded away at compile time)
  }
  return max(a, b);
}

fn maxNan4(a: vec4f, b: vec4f) -> vec4f {
  return vec4f(maxNan(a.x, b.x), maxNan(a.y, b.y), maxNan(a.z, b.z), maxNan(a.w, b.w));
}

// A 1-D vec4 index over a 2-D dispatch (a vector may need more than 65535 workgroups in x).
fn index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// --- accept --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> acceptD: array<vec4f>;
@group(0) @binding(2) var<storage, read> acceptGPlus: array<vec4f>;
@group(0) @binding(3) var<storage, read> acceptG: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> acceptX: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> acceptS: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> acceptY: array<vec4f>;

@compute @workgroup_size(WG)
fn accept(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= p.n4) {
    return;
  }
  let s = p.acceptStep * acceptD[i];
  acceptX[i] = acceptX[i] + s;
  if (p.addPair != 0u) {
    acceptS[p.slot * p.stride4 + i] = s;
    acceptY[p.slot * p.stride4 + i] = acceptGPlus[i] - acceptG[i];
  }
}

// --- direction -----------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> terms: array<Term>;
@group(0) @binding(2) var<storage, read> directionS: array<vec4f>;
@group(0) @binding(3) var<storage, read> directionY: array<vec4f>;
@group(0) @binding(4) var<storage, read> directionG: array<vec4f>;
@group(0) @binding(5) var<storage, read> directionX: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> directionD: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> directionXTrial: array<vec4f>;

@compute @workgroup_size(WG)
fn direction(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= p.n4) {
    return;
  }
  var d = p.gCoef * directionG[i];
  for (var j = 0u; j < p.terms; j++) {
    let term = terms[j];
    var row: vec4f;
    if (term.row < p.capacity) {
      row = directionS[term.row * p.stride4 + i];
    } else {
      row = directionY[(term.row - p.capacity) * p.stride4 + i];
    }
    d = fma(vec4f(term.coef), row, d);
  }
  directionD[i] = d;
  directionXTrial[i] = directionX[i] + p.trialStep * d;
}

// --- trial ---------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> trialX: array<vec4f>;
@group(0) @binding(2) var<storage, read> trialD: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> trialXTrial: array<vec4f>;

@compute @workgroup_size(WG)
fn trial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= p.n4) {
    return;
  }
  trialXTrial[i] = trialX[i] + p.trialStep * trialD[i];
}

// --- products ------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> rowList: array<u32>;
@group(0) @binding(2) var<storage, read> productsS: array<vec4f>;
@group(0) @binding(3) var<storage, read> productsY: array<vec4f>;
@group(0) @binding(4) var<storage, read> productsD: array<vec4f>;
@group(0) @binding(5) var<storage, read> productsGPlus: array<vec4f>;
@group(0) @binding(6) var<storage, read> productsG: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;

var<workgroup> treeA: array<vec4f, WG>;
var<workgroup> treeB: array<vec4f, WG>;
var<workgroup> treeC: array<vec4f, WG>;

const SCALARS = 12u;

fn lanes(v: vec4f) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

fn laneMax(v: vec4f) -> f32 {
  return maxNan(maxNan(v.x, v.y), maxNan(v.z, v.w));
}

@compute @workgroup_size(WG)
fn products(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let chunk = wid.x;
  let r = wid.y;
  let begin = chunk * p.chunk4;
  let end = min(p.n4, begin + p.chunk4);
  // Each thread: four-lane accumulators over its strided share of the chunk.
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  var c = vec4f(0.0);
  if (r < p.rows) {
    let listed = rowList[r];
    let inS = listed < p.capacity;
    let base = select(listed - p.capacity, listed, inS) * p.stride4;
    var sd = vec4f(0.0);
    var sg = vec4f(0.0);
    var sdelta = vec4f(0.0);
    for (var i = begin + t; i < end; i += WG) {
      var row: vec4f;
      if (inS) {
        row = productsS[base + i];
      } else {
        row = productsY[base + i];
      }
      let gPlus = productsGPlus[i];
      sd = fma(row, productsD[i], sd);
      sg = fma(row, gPlus, sg);
      sdelta = fma(row, gPlus - productsG[i], sdelta);
    }
    a = vec4f(lanes(sd), lanes(sg), lanes(sdelta), 0.0);
  } else {
    var dd = vec4f(0.0);
    var gd = vec4f(0.0);
    var deltaD = vec4f(0.0);
    var gDelta = vec4f(0.0);
    var deltaDelta = vec4f(0.0);
    var gAbs = vec4f(0.0);
    var gMax = vec4f(0.0);
    var dMax = vec4f(0.0);
    var gD = vec4f(0.0);
    for (var i = begin + t; i < end; i += WG) {
      let d = productsD[i];
      let gPlus = productsGPlus[i];
      let g = productsG[i];
      let delta = gPlus - g;
      gD = fma(g, d, gD);
      dd = fma(d, d, dd);
      gd = fma(gPlus, d, gd);
      deltaD = fma(delta, d, deltaD);
      gDelta = fma(gPlus, delta, gDelta);
      deltaDelta = fma(delta, delta, deltaDelta);
      gAbs += abs(gPlus);
      gMax = maxNan4(gMax, abs(gPlus));
      dMax = maxNan4(dMax, abs(d));
    }
    a = vec4f(lanes(dd), lanes(gd), lanes(deltaD), lanes(gDelta));
    b = vec4f(lanes(deltaDelta), lanes(gAbs), laneMax(gMax), laneMax(dMax));
    c = vec4f(lanes(gD), 0.0, 0.0, 0.0);
  }
  treeA[t] = a;
  treeB[t] = b;
  treeC[t] = c;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (t < width) {
      treeA[t] = treeA[t] + treeA[t + width];
      treeC[t] = treeC[t] + treeC[t + width];
      let u = treeB[t];
      let v = treeB[t + width];
      treeB[t] = vec4f(u.x + v.x, u.y + v.y, maxNan(u.z, v.z), maxNan(u.w, v.w));
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let out = (r * p.chunks + chunk) * SCALARS;
    let values = array<vec4f, 3>(treeA[0], treeB[0], treeC[0]);
    for (var e = 0u; e < SCALARS; e++) {
      partials[out + e] = values[e / 4u][e % 4u];
    }
  }
}

// --- finalize ------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> finalPartials: array<f32>;
@group(0) @binding(2) var<storage, read_write> report: array<f32>;

@compute @workgroup_size(WG)
fn finalize(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x;
  var r: u32;
  var c: u32;
  if (k < SCALARS) {
    r = p.rows; // the vector row
    c = k;
  } else {
    r = (k - SCALARS) / 3u;
    c = (k - SCALARS) % 3u;
    if (r >= p.rows) {
      return;
    }
  }
  let isMax = r == p.rows && (c == 6u || c == 7u);
  var s = 0.0;
  for (var j = 0u; j < p.chunks; j++) {
    let v = finalPartials[(r * p.chunks + j) * SCALARS + c];
    s = select(s + v, maxNan(s, v), isMax);
  }
  report[k] = s;
}
