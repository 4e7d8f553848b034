// BatchTopK of an SAE's pre-activations, in place: of the whole rows × cols matrix z (row stride
// ld) the total = k·rows largest entries keep max(v, 0), every other entry becomes 0; among equal
// values the lower flat index r·cols + c wins, so exactly `total` are kept. Also the statistic of
// the inference threshold: θ ← (1 − α)θ + α·(smallest positive kept value), when there is one.
//
// The k-th-largest search of topk.wgsl made global: the same order-preserving u32 keys and four
// 8-bit radix passes, each a `histogram` over every block of BLOCK = WG·PER_THREAD entries (a
// workgroup's histogram, added into the state's with atomics: integer counts, so the result does
// not depend on their order) and a one-workgroup `selectDigit`. Then `tieCounts` counts each
// block's entries equal to T, and `apply` keeps, in each block, the entries above T and the ties
// whose rank (the ties of the blocks before it, then a scan within it) is below the quota; it
// also takes the smallest positive kept value (atomicMin on the bits: positive floats order as
// their bits do). `updateThreshold` folds it into the running threshold. 2 + 4·2 + 3 dispatches;
// O(rows·cols) work each but apply's sum over the blocks before it, O(blocks²/WG) in all.
//
// The state buffer (SelectState) persists between batches for its running threshold; `reset`
// clears the rest at the start of each selection.

override WG: u32 = 256; // = BINS: each thread of selectDigit owns one bin
override PER_THREAD: u32 = 16;

const BINS: u32 = 256u;
const NO_POSITIVE: u32 = 0xffffffffu;

struct Params {
  rows: u32,
  cols: u32,
  ld: u32,
  total: u32,
  shift: u32,
  blocks: u32,
  gridWidth: u32,
  rate: f32,
}

struct SelectState {
  // The key bits found so far, which of them are found, and how many entries matching them the
  // selection still needs (after the last pass: how many of the entries equal to T).
  prefix: u32,
  mask: u32,
  remaining: u32,
  minPositive: atomic<u32>,
  // The running inference threshold θ (kept across batches; 0 before the first).
  threshold: f32,
  histogram: array<atomic<u32>, BINS>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> state: SelectState;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;
@group(0) @binding(3) var<storage, read_write> blockTies: array<u32>;

var<workgroup> localHistogram: array<atomic<u32>, BINS>;
var<workgroup> scanned: array<u32, WG>;

fn orderKey(v: f32) -> u32 {
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

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

// Where flat entry f (row-major over rows × cols) lives in z.
fn at(f: u32) -> u32 {
  return (f / p.cols) * p.ld + f % p.cols;
}

fn blockOf(wg: vec3u) -> u32 {
  return wg.x + wg.y * p.gridWidth;
}

@compute @workgroup_size(WG)
fn reset(@builtin(local_invocation_index) t: u32) {
  atomicStore(&state.histogram[t], 0u);
  if (t == 0u) {
    state.prefix = 0u;
    state.mask = 0u;
    state.remaining = p.total;
    atomicStore(&state.minPositive, NO_POSITIVE);
  }
}

@compute @workgroup_size(WG)
fn histogram(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let block = blockOf(wg);
  if (block >= p.blocks) {
    return;
  }
  atomicStore(&localHistogram[t], 0u);
  workgroupBarrier();
  let count = p.rows * p.cols;
  let prefix = state.prefix;
  let mask = state.mask;
  // Strided within the block, so that neighbouring threads read neighbouring entries.
  for (var j = 0u; j < PER_THREAD; j++) {
    let f = block * WG * PER_THREAD + j * WG + t;
    if (f < count) {
      let key = orderKey(z[at(f)]);
      if ((key & mask) == prefix) {
        atomicAdd(&localHistogram[(key >> p.shift) & 0xffu], 1u);
      }
    }
  }
  workgroupBarrier();
  let c = atomicLoad(&localHistogram[t]);
  if (c > 0u) {
    atomicAdd(&state.histogram[t], c);
  }
}

@compute @workgroup_size(WG)
fn selectDigit(@builtin(local_invocation_index) t: u32) {
  let bin = BINS - 1u - t;
  let count = atomicLoad(&state.histogram[bin]);
  let remaining = state.remaining;
  let fromTop = inclusiveScan(t, count);
  // Every thread has read `remaining` before the one that finds the bin writes it.
  workgroupBarrier();
  if (fromTop >= remaining && fromTop - count < remaining) {
    state.prefix |= bin << p.shift;
    state.mask |= 0xffu << p.shift;
    state.remaining = remaining - (fromTop - count);
  }
  atomicStore(&state.histogram[bin], 0u);
}

// A block's flat entries [first, first + WG·PER_THREAD): thread t's contiguous share of it.
fn share(block: u32, t: u32) -> vec2u {
  let count = p.rows * p.cols;
  let begin = min(count, block * WG * PER_THREAD + t * PER_THREAD);
  return vec2u(begin, min(count, begin + PER_THREAD));
}

@compute @workgroup_size(WG)
fn tieCounts(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let block = blockOf(wg);
  if (block >= p.blocks) {
    return;
  }
  let threshold = state.prefix;
  let range = share(block, t);
  var ties = 0u;
  for (var f = range.x; f < range.y; f++) {
    ties += select(0u, 1u, orderKey(z[at(f)]) == threshold);
  }
  let total = inclusiveScan(t, ties);
  if (t == WG - 1u) {
    blockTies[block] = total;
  }
}

@compute @workgroup_size(WG)
fn apply(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let block = blockOf(wg);
  if (block >= p.blocks) {
    return;
  }
  let threshold = state.prefix;
  let quota = state.remaining;
  // The ties of the blocks before this one (exact: u32 counts).
  var before = 0u;
  for (var b = t; b < block; b += WG) {
    before += blockTies[b];
  }
  _ = inclusiveScan(t, before);
  let tiesBeforeBlock = scanned[WG - 1u];
  workgroupBarrier();
  let range = share(block, t);
  var ties = 0u;
  for (var f = range.x; f < range.y; f++) {
    ties += select(0u, 1u, orderKey(z[at(f)]) == threshold);
  }
  var tieRank = tiesBeforeBlock + inclusiveScan(t, ties) - ties;
  var smallest = NO_POSITIVE;
  for (var f = range.x; f < range.y; f++) {
    let i = at(f);
    let v = z[i];
    let key = orderKey(v);
    var keep = key > threshold;
    if (key == threshold) {
      keep = tieRank < quota;
      tieRank++;
    }
    z[i] = select(0.0, max(v, 0.0), keep);
    if (keep && v > 0.0) {
      smallest = min(smallest, bitcast<u32>(v));
    }
  }
  if (smallest != NO_POSITIVE) {
    atomicMin(&state.minPositive, smallest);
  }
}

@compute @workgroup_size(1)
fn updateThreshold() {
  let m = atomicLoad(&state.minPositive);
  if (m != NO_POSITIVE) {
    let sample = bitcast<f32>(m);
    state.threshold = (1.0 - p.rate) * state.threshold + p.rate * sample;
  }
}
