// Before `npm test` / `npm run train`: make sure WebGPU works here, installing Debian's
// packages when they are missing (scripts/install-system-deps.sh), and otherwise saying
// exactly what is missing. Usage: node scripts/ensure-system.mjs [--chromium]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const wantChromium = process.argv.includes('--chromium');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function nodeAdapter() {
  // A child process, so this one holds no Dawn instance (Node would not exit while it does).
  const probe = `
    import { create, globals } from 'webgpu';
    Object.assign(globalThis, globals);
    const adapter = await create([]).requestAdapter();
    process.stdout.write(adapter ? 'yes' : 'no');
    process.exit(0);`;
  try {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    return out.trim() === 'yes';
  } catch {
    return false;
  }
}

// The probe starts Dawn and Vulkan in a child process: about a second of every command. When it
// has passed before with the same Node, the same webgpu package and the same Vulkan drivers
// (their ICD files, by name, size and time), it is not repeated; any change probes again.
const STAMP = new URL('../node_modules/.cache/webgpu-sparse-autoencoder/webgpu-probe.json', import.meta.url);

function driverState() {
  const files = [];
  for (const dir of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const { size, mtimeMs } = statSync(join(dir, name));
      files.push(`${dir}/${name}:${size}:${mtimeMs}`);
    }
  }
  let webgpu = 'absent';
  try {
    webgpu = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('webgpu/package.json'), 'utf8')).version;
  } catch {}
  return JSON.stringify({ node: process.version, webgpu, icd: files, env: process.env.VK_ICD_FILENAMES ?? null });
}

function probedBefore(state) {
  try {
    return readFileSync(STAMP, 'utf8') === state;
  } catch {
    return false;
  }
}

function rememberProbe(state) {
  try {
    mkdirSync(new URL('.', STAMP), { recursive: true });
    writeFileSync(STAMP, state);
  } catch {
    // Only the second it saves is lost.
  }
}

function missing() {
  return nodeAdapter().then((adapter) => {
    const list = [];
    if (!adapter) list.push('a WebGPU adapter for Node (Dawn needs Vulkan: Mesa ≥ 24 mesa-vulkan-drivers)');
    if (wantChromium && !existsSync(chromium)) list.push(`Chromium at ${chromium} (set CHROMIUM_PATH to use another)`);
    return list;
  });
}

const state = driverState();
if (probedBefore(state) && (!wantChromium || existsSync(chromium))) process.exit(0);

let absent = await missing();
if (absent.length === 0) rememberProbe(state);
if (absent.length > 0) {
  console.log(`Installing system packages for: ${absent.join('; ')}`);
  try {
    execFileSync('bash', [new URL('./install-system-deps.sh', import.meta.url).pathname], { stdio: 'inherit' });
  } catch {
    // Its own message says what to install by hand.
  }
  absent = await missing();
  if (absent.length === 0) rememberProbe(driverState());
}
if (absent.length > 0) {
  console.error(`Missing: ${absent.join('; ')}.`);
  console.error('On Debian 12 as root, scripts/install-system-deps.sh installs them; elsewhere install them by hand.');
  // `npm run train -- --device cpu` needs no WebGPU: the training command itself says what it
  // needs. The tests (--chromium) do need it.
  if (wantChromium) process.exit(1);
  console.error('Without WebGPU, train on the float64 CPU reference: npm run train -- --device cpu');
}
