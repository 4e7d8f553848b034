/**
 * scripts/cli.mjs, which `npm run train|classify|gradcheck` go through: Dawn's native limit
 * warnings never reach the user's stderr, everything else does, unchanged and at once (the
 * progress bar included, on a terminal), and a SIGTERM aimed at it alone stops the run once.
 * (Signals to npm's whole process group: signals.test.ts, classify-cli.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dawnStderrFilter } from '../../scripts/dawn-stderr-filter.mjs';
import { BUNDLE_FOLDER, bundleCommand } from '../../scripts/cli-bundle.mjs';
import { writeMat } from '../../src/data/mat';
import { patchesToMat } from '../../src/data/mat-layout';
import { Random } from '../../src/random';
import { npmRun } from './npm-run';
import { tsxArgs } from './run-cli';

const DAWN = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n',
];

/** What the filter passes on, write by write, for these chunks. */
function filtered(chunks: string[]): string[] {
  const out: string[] = [];
  const filter = dawnStderrFilter((text) => out.push(text));
  for (const chunk of chunks) filter.push(chunk);
  filter.end();
  return out;
}

describe('the Dawn warning filter', () => {
  it('drops exactly the Dawn lines, whole or split across reads, and keeps every other byte', () => {
    const ours = 'data: 200 patches\n';
    const joined = ours + DAWN.join('') + 'device: webgpu\n';
    expect(filtered([joined]).join('')).toBe('data: 200 patches\ndevice: webgpu\n');
    // Split at every position: the result is the same.
    for (let cut = 1; cut < joined.length; cut++) {
      expect(filtered([joined.slice(0, cut), joined.slice(cut)]).join(''), `cut at ${cut}`).toBe('data: 200 patches\ndevice: webgpu\n');
    }
    const lookalikes = [
      'Warning: maxDynamicUniformBuffersPerPipelineLayout is 8\n',
      'Warning: something else\n',
      ` ${DAWN[0]}`,
      DAWN[0].replace('\n', ' (again)\n'),
      DAWN[0].replace('\n', '\r\n'),
    ];
    for (const line of lookalikes) expect(filtered([line]).join('')).toBe(line);
    // Bytes as latin1: invalid UTF-8 and a split multi-byte character come through unchanged.
    const bytes = Buffer.from([0xff, 0xfe, 0x0a, 0xe2, 0x96]).toString('latin1');
    expect(filtered([bytes, Buffer.from([0x88, 0x0a]).toString('latin1')]).join('')).toBe(bytes + '\x88\n');
  });

  it('passes a partial line on at once unless it may still become a Dawn warning', () => {
    const out: string[] = [];
    const filter = dawnStderrFilter((text) => out.push(text));
    filter.push('\r████░░░░ iteration 3/60');
    expect(out).toEqual(['\r████░░░░ iteration 3/60']);
    filter.push('  cost 1.2\x1b[K');
    expect(out.at(-1)).toBe('  cost 1.2\x1b[K');
    filter.push('\nWarn');
    expect(out.at(-1)).toBe('\n'); // "Warn" is held: it may become Dawn's line
    filter.push('ing: maxDynamicStorage');
    filter.push('BuffersPerPipelineLayout artificially reduced from 5 to 4 to fit dynamic offset allocation limit.\nerror: bad\n');
    expect(out.at(-1)).toBe('error: bad\n');
    filter.end();
    expect(out.join('')).toBe('\r████░░░░ iteration 3/60  cost 1.2\x1b[K\nerror: bad\n');
  });

  it('never holds a partial line longer than a moment', async () => {
    const out: string[] = [];
    const filter = dawnStderrFilter((text) => out.push(text), { holdMs: 20 });
    filter.push('Warning: maxDyn');
    expect(out).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(out).toEqual(['Warning: maxDyn']);
    filter.push('amic… the rest of it\n');
    filter.end();
    expect(out.join('')).toBe('Warning: maxDynamic… the rest of it\n');
  });
});

let dir: string;
let data: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sae-launcher-'));
  const rng = new Random(5);
  const patches = new Float64Array(200 * 64).map(() => 0.1 + 0.8 * rng.uniform());
  data = join(dir, 'patches.mat');
  await writeFile(data, writeMat([patchesToMat({ data: patches, examples: 200, visibleSize: 64 })]));
});

const dawnWarning = /artificially reduced/;
/** Each line's first word: what a run said, without its timings. */
const lineKinds = (stderr: string) => stderr.split('\n').filter((line) => line && !dawnWarning.test(line)).map((line) => line.split(/[ :]/)[0]);

describe('npm run through scripts/cli.mjs', () => {
  // Diverges at once on the GPU: Dawn's warnings (on adapters that clamp the limit, like
  // lavapipe), the run's lines, then the divergence's message and exit code 3.
  const diverging = () => ['--device', 'gpu', '--data', data, '--optimizer', 'gd', '--learning-rate', '1e30', '--iters', '5'];

  it('keeps Dawn\'s warnings off stderr and passes every other line, an error included', async () => {
    // The sources through tsx (the launcher's fallback) say the same as the launched bundle.
    const direct = spawnSync(process.execPath, [...tsxArgs('train'), ...diverging(), '--out', join(dir, 'direct')], {
      encoding: 'utf8',
    });
    expect(direct.status, direct.stderr).toBe(3);
    const launched = await npmRun('train', [...diverging(), '--out', join(dir, 'launched')]);
    expect(launched.code, launched.stderr).toBe(3);
    expect(launched.stderr).not.toMatch(dawnWarning);
    expect(launched.stderr).not.toContain('Warning:');
    expect(launched.stderr).toMatch(/^device: webgpu/m);
    expect(launched.stderr).toMatch(/^diverged: the cost is not finite at iteration 1; .*\(try a smaller --learning-rate\)$/m);
    expect(lineKinds(launched.stderr)).toEqual(lineKinds(direct.stderr));
  });

  it('gradcheck on the GPU leaves stderr empty', async () => {
    const run = await npmRun('gradcheck', ['--device', 'gpu']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });

  // util-linux's `script` gives the command a terminal; stdout goes to /dev/null so that the
  // width can come only from the launcher's variable.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('on a terminal, the progress bar is still drawn, to the terminal\'s width', async () => {
    const command = `stty cols 72 rows 20; npm run --silent train -- --device gpu --data ${data} --iters 20 --out ${join(dir, 'tty')} >/dev/null`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(dawnWarning);
    const redraws = run.stdout.split('\r').filter((part) => part.startsWith('█') || part.startsWith('░'));
    expect(redraws.length, run.stdout).toBeGreaterThan(1);
    for (const bar of redraws) expect(bar.replace(/\x1b\[K[\s\S]*/, '').length).toBeLessThanOrEqual(71);
    expect(run.stdout).toMatch(/^done: /m);
  });

  it('a SIGTERM to the launcher alone stops the run once, with a checkpoint, and exits 143', async () => {
    const out = join(dir, 'term');
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['scripts/cli.mjs', 'train', '--device', 'cpu', '--data', data, '--iters', '3000', '--out', out], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      let sent = false;
      child.stderr.on('data', (d) => {
        stderr += d;
        if (!sent && /^device: /m.test(stderr)) {
          sent = true;
          setTimeout(() => child.kill('SIGTERM'), 300);
        }
      });
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(run.code, run.stderr).toBe(143);
    expect(run.stderr.match(/^SIGTERM: /gm), run.stderr).toHaveLength(1);
    expect(run.stderr).toMatch(/continue with: npm run train -- --out .* --resume/);
  });
});

describe('the command bundles (scripts/cli-bundle.mjs)', () => {
  it('bundles a command once per content, into the cache folder, runnable by node alone', async () => {
    const first = await bundleCommand('gradcheck');
    expect(first).toBeDefined();
    expect(dirname(first!)).toBe(BUNDLE_FOLDER);
    expect(basename(first!)).toMatch(/^gradcheck-[0-9a-f]{16}\.mjs$/);
    expect(await bundleCommand('gradcheck')).toBe(first); // same sources, same file
    expect(await bundleCommand('pca')).not.toBe(first);
    // No tsx and no WGSL hook: the shaders are in it as text.
    const run = spawnSync(process.execPath, [first!, '--help'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/npm run gradcheck/);
  });

  it('runs the bundle its manifest names while the sources are unchanged, and builds again when one changed', async () => {
    const bundle = await bundleCommand('gradcheck');
    const manifests = (await readdir(BUNDLE_FOLDER)).filter((name) => /^gradcheck-[0-9a-f]{8}\.manifest\.json$/.test(name));
    expect(manifests.length).toBeGreaterThan(0);
    // This checkout's: the one that lists this checkout's sources.
    const mine = [];
    for (const name of manifests) if (Object.keys(JSON.parse(await readFile(join(BUNDLE_FOLDER, name), 'utf8')).files).some((path) => path.startsWith(process.cwd()))) mine.push(name);
    expect(mine).toHaveLength(1);
    const manifestFile = join(BUNDLE_FOLDER, mine[0]);
    const source = join(process.cwd(), 'src', 'cli', 'gradcheck.ts');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    expect(manifest.bundle).toBe(bundle);
    expect(Object.keys(manifest.files)).toContain(source);
    expect(Object.keys(manifest.files).some((path) => path.endsWith('.wgsl'))).toBe(true); // the shaders, without ?raw
    // The same bytes with another modification time: the manifest no longer matches, the bundle is
    // built again (the same file, the same content) and the manifest records the file as it is now.
    const earlier = new Date(Date.now() - 60_000);
    await utimes(source, earlier, earlier);
    expect(await bundleCommand('gradcheck')).toBe(bundle);
    const rebuilt = JSON.parse(await readFile(manifestFile, 'utf8'));
    expect(rebuilt.files[source][1]).toBe((await stat(source)).mtimeMs);
    expect(rebuilt.files[source][1]).not.toBe(manifest.files[source][1]);
  });

  it('SAE_CLI_BUNDLE=off gives none, and the launcher runs the sources through tsx', async () => {
    expect(await bundleCommand('train', { SAE_CLI_BUNDLE: 'off' })).toBeUndefined();
    const run = spawnSync(process.execPath, ['scripts/cli.mjs', 'train', '--help'], { encoding: 'utf8', env: { ...process.env, SAE_CLI_BUNDLE: 'off' } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run train/m);
  });
});
