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
//   products:  per (chunk, listed row r, in groups of PRODUCT_ROWS): rᵀd, rᵀg₊, rᵀ(g₊ − g); and
//              for an extra row dᵀd, g₊ᵀd, (g₊ − g)ᵀd, g₊ᵀ(g₊ − g), ‖g₊ − g‖², Σ|g₊|, max|g₊|, max|d|, gᵀd
//   finalize:  sums (or maxima) over the chunks: report = [the 12 vector values (the last three
//              unused), then 3 per row]
//
// Max propagates NaN explicitly (WGSL's max need not), so the optimizer's finiteness tests see
// a NaN gradient.
//
// The sizes TypeScript shares with this file come from it as overrides, without defaults, so that
// there is one copy of each (src/gpu/optimizer-programs.ts): WG, SCALARS and PRODUCT_ROWS. The
// products kernel is written for SCALARS = 12 and PRODUCT_ROWS = 4 (a group's 3 × 4 row products
// and the vector row's values both fill three vec4 trees).

override WG: u32;
// Values at the head of the report and per workgroup in the partials.
override SCALARS: u32;
// Ring rows per workgroup of the products kernel.
override PRODUCT_ROWS: u32;

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
  coefficient: f32,
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
    d = fma(vec4f(term.coefficient), row, d);
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

fn lanes(v: vec4f) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

fn laneMax(v: vec4f) -> f32 {
  return maxNan(maxNan(v.x, v.y), maxNan(v.z, v.w));
}

/** Element i of listed ring row `listed` (S for listed < m, Y after). */
fn ringRow(listed: u32, i: u32) -> vec4f {
  if (listed < p.capacity) {
    return productsS[listed * p.stride4 + i];
  }
  return productsY[(listed - p.capacity) * p.stride4 + i];
}

// One workgroup per (chunk, group of PRODUCT_ROWS listed rows), or the vector row after the
// groups: the vectors d, g₊, g are loaded once for the group's rows (on software adapters what
// costs is the number of loads), and each of the 12 values a workgroup makes sums over its chunk.

@compute @workgroup_size(WG)
fn products(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let chunk = wid.x;
  let group = wid.y;
  let groups = (p.rows + PRODUCT_ROWS - 1u) / PRODUCT_ROWS;
  let vectorRow = group == groups;
  let begin = chunk * p.chunk4;
  let end = min(p.n4, begin + p.chunk4);
  var a = vec4f(0.0);
  var b = vec4f(0.0);
  var c = vec4f(0.0);
  if (!vectorRow) {
    // Rows past the list (the last group may be short) repeat the last row, and are dropped by
    // the finalize kernel.
    let first = group * PRODUCT_ROWS;
    let last = p.rows - 1u;
    let l0 = rowList[first];
    let l1 = rowList[min(first + 1u, last)];
    let l2 = rowList[min(first + 2u, last)];
    let l3 = rowList[min(first + 3u, last)];
    var d0 = vec4f(0.0);
    var g0 = vec4f(0.0);
    var e0 = vec4f(0.0);
    var d1 = vec4f(0.0);
    var g1 = vec4f(0.0);
    var e1 = vec4f(0.0);
    var d2 = vec4f(0.0);
    var g2 = vec4f(0.0);
    var e2 = vec4f(0.0);
    var d3 = vec4f(0.0);
    var g3 = vec4f(0.0);
    var e3 = vec4f(0.0);
    for (var i = begin + t; i < end; i += WG) {
      let d = productsD[i];
      let gPlus = productsGPlus[i];
      let delta = gPlus - productsG[i];
      let r0 = ringRow(l0, i);
      let r1 = ringRow(l1, i);
      let r2 = ringRow(l2, i);
      let r3 = ringRow(l3, i);
      d0 = fma(r0, d, d0);
      g0 = fma(r0, gPlus, g0);
      e0 = fma(r0, delta, e0);
      d1 = fma(r1, d, d1);
      g1 = fma(r1, gPlus, g1);
      e1 = fma(r1, delta, e1);
      d2 = fma(r2, d, d2);
      g2 = fma(r2, gPlus, g2);
      e2 = fma(r2, delta, e2);
      d3 = fma(r3, d, d3);
      g3 = fma(r3, gPlus, g3);
      e3 = fma(r3, delta, e3);
    }
    a = vec4f(lanes(d0), lanes(g0), lanes(e0), lanes(d1));
    b = vec4f(lanes(g1), lanes(e1), lanes(d2), lanes(g2));
    c = vec4f(lanes(e2), lanes(d3), lanes(g3), lanes(e3));
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
      dd = fma(d, d, dd);
      gd = fma(gPlus, d, gd);
      deltaD = fma(delta, d, deltaD);
      gDelta = fma(gPlus, delta, gDelta);
      deltaDelta = fma(delta, delta, deltaDelta);
      gAbs += abs(gPlus);
      gMax = maxNan4(gMax, abs(gPlus));
      dMax = maxNan4(dMax, abs(d));
      gD = fma(g, d, gD);
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
      // The vector row's b.z and b.w are maxima.
      treeB[t] = select(u + v, vec4f(u.x + v.x, u.y + v.y, maxNan(u.z, v.z), maxNan(u.w, v.w)), vectorRow);
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let out = (group * p.chunks + chunk) * SCALARS;
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
  let groups = (p.rows + PRODUCT_ROWS - 1u) / PRODUCT_ROWS;
  // The 12 vector values come from the vector row (group `groups`), then 3 per listed row r,
  // value j·3 + c of its group (j = r mod PRODUCT_ROWS).
  var group: u32;
  var e: u32;
  if (k < SCALARS) {
    group = groups;
    e = k;
  } else {
    let r = (k - SCALARS) / 3u;
    if (r >= p.rows) {
      return;
    }
    group = r / PRODUCT_ROWS;
    e = (r % PRODUCT_ROWS) * 3u + (k - SCALARS) % 3u;
  }
  // max|g₊| and max|d| (their report indices in TypeScript, LBFGS_REPORT, are held to this order
  // by test/gpu/lbfgs.test.ts).
  let isMax = k == 6u || k == 7u;
  var s = 0.0;
  for (var j = 0u; j < p.chunks; j++) {
    let v = finalPartials[(group * p.chunks + j) * SCALARS + e];
    s = select(s + v, maxNan(s, v), isMax);
  }
  report[k] = s;
}
