// Row-wise TopK of an SAE's pre-activations, in place: in each row of the rows × cols matrix z
// (row stride ld), the k largest entries keep max(v, 0) and every other entry becomes 0; among
// equal values the lower column wins, so each row keeps exactly k. With SPARSE the k kept
// columns, in increasing order, and their values are also written to indices/values (rows × k),
// for a decoder that sums k rows of W_dec (sparse_decode.wgsl).
// With MASKED only the columns flagged in `eligible` are candidates (AuxK's dead latents): the
// others become 0, and a row with fewer candidates than k keeps all of them (a sparse form then
// ends in (0, 0.0) pairs, which decode to nothing).
//
// No sort: one workgroup per row finds the k-th largest value T by a radix select on the float's
// bits. Each float maps to a u32 key that orders as the floats do (sign bit flipped for positives,
// all bits for negatives; −0 counts as +0); four passes build a 256-bin histogram of the next 8
// bits among the keys that match the prefix found so far and pick the bin where the count from
// the top reaches k. After them T is exact, `above` entries are > T and k − above of the entries
// equal to T are kept, the lowest columns first (a scan of each thread's tie count over a
// contiguous chunk of the row). Work per row: 6 reads of the row (4 histograms, 1 count, 1 write
// pass) spread over WG threads, plus 4 + 2 workgroup scans: O(n/WG + log WG) steps, whatever k.

override WG: u32 = 256; // = BINS: each thread owns one bin of the histogram
override SPARSE: bool = false;
override MASKED: bool = false;

const BINS: u32 = 256u;

struct Params {
  rows: u32,
  cols: u32,
  ld: u32,
  k: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> values: array<f32>;
@group(0) @binding(4) var<storage, read> eligible: array<u32>;

var<workgroup> histogram: array<atomic<u32>, BINS>;
var<workgroup> scanned: array<u32, WG>;
// The bin found by a pass and the count of keys above it.
var<workgroup> found: vec2u;

// A u32 that orders as the floats do (NaN aside); −0 is +0, so the two tie.
fn orderKey(v: f32) -> u32 {
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn candidate(c: u32) -> bool {
  return !MASKED || eligible[c] != 0u;
}

// Inclusive prefix sum over the workgroup (Hillis–Steele, log2 WG steps; exact in u32).
fn inclusiveScan(t: u32, v: u32) -> u32 {
  scanned[t] = v;
  workgroupBarrier();
  for (var offset = 1u; offset < WG; offset <<= 1u) {
    var add = 0u;
    if (t >= offset) {
      add = scanned[t - offset];
    }
    workgroupBarrier();
    scanned[t] += add;
    workgroupBarrier();
  }
  let result = scanned[t];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let row = wg.x + wg.y * p.gridWidth;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.ld;
  var prefix = 0u;
  var mask = 0u;
  var remaining = p.k; // of the keys matching the prefix, how many the selection still needs
  for (var round = 0u; round < 4u; round++) {
    let shift = 24u - 8u * round;
    atomicStore(&histogram[t], 0u);
    workgroupBarrier();
    for (var c = t; c < p.cols; c += WG) {
      let key = orderKey(z[base + c]);
      if (candidate(c) && (key & mask) == prefix) {
        atomicAdd(&histogram[(key >> shift) & 0xffu], 1u);
      }
    }
    workgroupBarrier();
    // Counts from the top bin down: thread t scans bin BINS − 1 − t.
    let bin = BINS - 1u - t;
    let count = atomicLoad(&histogram[bin]);
    let fromTop = inclusiveScan(t, count);
    if (round == 0u) {
      // Every candidate is in some bin of the first pass: fewer than k candidates, keep them all.
      remaining = min(remaining, scanned[WG - 1u]);
    }
    if (fromTop >= remaining && fromTop - count < remaining) {
      found = vec2u(bin, fromTop - count);
    }
    workgroupBarrier();
    // No candidate at all (remaining = 0): no bin was found, and nothing will be kept.
    if (remaining > 0u) {
      let chosen = found;
      prefix |= chosen.x << shift;
      mask |= 0xffu << shift;
      remaining -= chosen.y;
    }
    workgroupBarrier();
  }
  // prefix is now the key of T, and `remaining` of the entries equal to T are kept.
  let threshold = prefix;
  let chunk = (p.cols + WG - 1u) / WG;
  let begin = min(p.cols, t * chunk);
  let end = min(p.cols, begin + chunk);
  var ties = 0u;
  var above = 0u;
  for (var c = begin; c < end; c++) {
    let key = orderKey(z[base + c]);
    ties += select(0u, 1u, candidate(c) && key == threshold);
    above += select(0u, 1u, candidate(c) && key > threshold);
  }
  let tiesBefore = inclusiveScan(t, ties) - ties;
  // The ties this chunk keeps: those whose rank among the row's ties is below `remaining`.
  let keptTies = min(ties, remaining - min(remaining, tiesBefore));
  let keptBefore = inclusiveScan(t, above + keptTies) - (above + keptTies);
  let keptInRow = scanned[WG - 1u];
  var tieRank = tiesBefore;
  var at = row * p.k + keptBefore;
  for (var c = begin; c < end; c++) {
    let v = z[base + c];
    let key = orderKey(v);
    var keep = candidate(c) && key > threshold;
    if (candidate(c) && key == threshold) {
      keep = tieRank < remaining;
      tieRank++;
    }
    let out = select(0.0, max(v, 0.0), keep);
    z[base + c] = out;
    if (SPARSE && keep) {
      indices[at] = c;
      values[at] = out;
      at++;
    }
  }
  if (SPARSE) {
    for (var j = keptInRow + t; j < p.k; j += WG) {
      indices[row * p.k + j] = 0u;
      values[row * p.k + j] = 0.0;
    }
  }
}
