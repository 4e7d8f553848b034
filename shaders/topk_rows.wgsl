// Row-wise TopK of an SAE's pre-activations, in place, ONE THREAD PER ROW: the same selection as
// topk.wgsl (the k largest keep max(v, 0), every other entry becomes 0, the lower column first
// among equal values; SPARSE also writes the k kept columns in increasing order and their values;
// MASKED keeps only the columns flagged in `eligible`, all of them when fewer than k), for CPUs'
// software adapters. There topk.wgsl's 256-thread workgroup spends its time in its ~90 barriers
// (each a coroutine switch of every invocation; ~4 ms a row on lavapipe); here there is no barrier
// and no workgroup memory, and the lanes of a SIMD group walk their rows in step, so `eligible[c]`
// is one uniform load.
//
// The k-th largest key T by a radix select, 4 bits at a time: eight passes over the row count, for
// the keys matching the prefix found so far, how many have their next 4 bits ≥ j (j = 0 … 15, in
// four vec4 counters in registers), and keep the largest j whose count reaches the number still
// needed. A ninth pass writes: keys > T are kept, and of the keys equal to T the first `remaining`
// in column order. Row loads are vec4 (ld is a multiple of 4); padding columns (≥ cols) are written
// back as read. Work per row: 9 reads of the row, whatever k; a real GPU wants topk.wgsl's
// workgroup per row instead (sae-programs.ts chooses by adapter).

override WG: u32 = 8;
override SPARSE: bool = false;
override MASKED: bool = false;

struct Params {
  rows: u32,
  cols: u32,
  ld: u32,
  k: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> z: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> values: array<f32>;
@group(0) @binding(4) var<storage, read> eligible: array<u32>;

// A u32 that orders as the floats do (NaN aside); −0 is +0, so the two tie.
fn orderKey(v: f32) -> u32 {
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn orderKeys(v: vec4f) -> vec4u {
  return vec4u(orderKey(v.x), orderKey(v.y), orderKey(v.z), orderKey(v.w));
}

// Which of the four columns from c on are candidates: inside the row, and eligible when MASKED.
fn candidates(c: u32) -> vec4<bool> {
  let inside = vec4u(c, c + 1u, c + 2u, c + 3u) < vec4u(p.cols);
  if (!MASKED) {
    return inside;
  }
  let last = p.cols - 1u;
  let flags = vec4u(eligible[min(c, last)], eligible[min(c + 1u, last)], eligible[min(c + 2u, last)], eligible[min(c + 3u, last)]);
  return inside & (flags != vec4u(0u));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  // No early return for the threads past the last row: they select in the last row too and write
  // nothing, so control flow stays uniform and lavapipe loads eligible[c] once for all its lanes.
  let inRange = gid.x + gid.y * p.gridWidth < p.rows;
  let row = min(gid.x + gid.y * p.gridWidth, p.rows - 1u);
  let base = row * (p.ld / 4u);
  let n4 = (p.cols + 3u) / 4u;
  var prefix = 0u;
  var mask = 0u;
  var remaining = p.k; // of the keys matching the prefix, how many the selection still needs
  for (var round = 0u; round < 8u; round++) {
    let shift = 28u - 4u * round;
    // at[j / 4][j % 4]: keys matching the prefix whose next 4 bits are ≥ j.
    var at0 = vec4u(0u);
    var at1 = vec4u(0u);
    var at2 = vec4u(0u);
    var at3 = vec4u(0u);
    for (var q = 0u; q < n4; q++) {
      let keys = orderKeys(z[base + q]);
      let live = candidates(4u * q) & ((keys & vec4u(mask)) == vec4u(prefix));
      // After the first passes few keys still match the prefix: skip the counting for those.
      if (!any(live)) {
        continue;
      }
      let nibbles = (keys >> vec4u(shift)) & vec4u(0xfu);
      for (var e = 0u; e < 4u; e++) {
        let one = select(0u, 1u, live[e]);
        let nib = vec4u(nibbles[e]);
        at0 += select(vec4u(0u), vec4u(one), nib >= vec4u(0u, 1u, 2u, 3u));
        at1 += select(vec4u(0u), vec4u(one), nib >= vec4u(4u, 5u, 6u, 7u));
        at2 += select(vec4u(0u), vec4u(one), nib >= vec4u(8u, 9u, 10u, 11u));
        at3 += select(vec4u(0u), vec4u(one), nib >= vec4u(12u, 13u, 14u, 15u));
      }
    }
    if (round == 0u) {
      // Every candidate matches the empty prefix: fewer than k candidates, keep them all.
      remaining = min(remaining, at0.x);
    }
    if (remaining == 0u) {
      break; // no candidate at all: nothing is kept (every lane alike: the same eligible columns)
    }
    // The largest nibble j with at least `remaining` keys at or above it (j = 0 always qualifies).
    let counts = array<vec4u, 4>(at0, at1, at2, at3);
    var chosen = 0u;
    for (var j = 15u; j > 0u; j--) {
      if (counts[j / 4u][j % 4u] >= remaining) {
        chosen = j;
        break;
      }
    }
    let above = select(0u, counts[(chosen + 1u) / 4u][(chosen + 1u) % 4u], chosen < 15u);
    remaining -= above;
    prefix |= chosen << shift;
    mask |= 0xfu << shift;
  }
  // After all eight passes prefix is the key of T and `remaining` (≥ 1) of the entries equal to T
  // are kept; after a break, nothing is.
  let found = mask == 0xffffffffu;
  let threshold = prefix;
  var tiesLeft = remaining;
  var at = row * p.k;
  for (var q = 0u; q < n4; q++) {
    let v = z[base + q];
    let keys = orderKeys(v);
    let cand = candidates(4u * q) & vec4<bool>(found);
    var out = v;
    for (var e = 0u; e < 4u; e++) {
      if (4u * q + e >= p.cols) {
        continue; // padding: written back as read
      }
      var keep = cand[e] && keys[e] > threshold;
      if (cand[e] && keys[e] == threshold && tiesLeft > 0u) {
        keep = true;
        tiesLeft--;
      }
      out[e] = select(0.0, max(v[e], 0.0), keep);
      if (SPARSE && keep && inRange) {
        indices[at] = 4u * q + e;
        values[at] = out[e];
        at++;
      }
    }
    if (inRange) {
      z[base + q] = out;
    }
  }
  if (SPARSE && inRange) {
    for (var j = at; j < (row + 1u) * p.k; j++) {
      indices[j] = 0u;
      values[j] = 0.0;
    }
  }
}
