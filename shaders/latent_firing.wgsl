// Dead-latent tracking for a training loop, with no read-back per step: after each step's
// evaluation, since[i] counts the examples since latent i last fired (was > 0 in some row of z),
// reset to 0 by a batch where it fires, else grown by the batch's rows (saturating, so a latent
// that never fires cannot wrap round to "just fired"). z is rows × ld, latent i in column i.
// One thread per latent: neighbouring threads read neighbouring columns of each row.

override WG: u32 = 64;

struct Params {
  rows: u32,
  latents: u32,
  ld: u32,
  gridWidth: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> since: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.gridWidth;
  if (i >= p.latents) {
    return;
  }
  var fired = false;
  for (var r = 0u; r < p.rows; r++) {
    if (z[r * p.ld + i] > 0.0) {
      fired = true;
      break;
    }
  }
  let s = since[i];
  since[i] = select(select(s + p.rows, 0xffffffffu, s > 0xffffffffu - p.rows), 0u, fired);
}
