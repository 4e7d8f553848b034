/**
 * The shader-cache stamps (src/gpu/compile-stamps-node.ts): which warm-ups a machine has done.
 * The key follows the adapter, Mesa's cache folder and every program; the file survives being
 * damaged and keeps the newest sets.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterSummary } from '../../src/gpu/adapter';
import { compiledSetKey, fileCompileStamps, MAX_SETS } from '../../src/gpu/compile-stamps-node';
import type { KernelProgram } from '../../src/gpu/programs';

const adapter: AdapterSummary = { vendor: 'mesa', architecture: 'software', device: '', description: 'llvmpipe', driver: 'Mesa 25' } as AdapterSummary;
const program = (code: string, constants: Record<string, number | boolean> = {}): KernelProgram =>
  ({ name: code, shader: { code, file: `${code}.wgsl` }, entryPoint: 'main', constants, bindings: ['uniform', 'storage'] }) as unknown as KernelProgram;

describe('compile stamps', () => {
  let folder: string | undefined;
  afterEach(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('name a set by its adapter, Mesa cache folder and programs, not by their order', () => {
    const set = [program('a', { X: 1, Y: true }), program('b')];
    const key = compiledSetKey(adapter, set, {});
    expect(compiledSetKey(adapter, [set[1], set[0]], {})).toBe(key);
    expect(compiledSetKey(adapter, [program('a', { Y: true, X: 1 }), program('b')], {})).toBe(key);
    expect(compiledSetKey(adapter, [program('a', { X: 2, Y: true }), program('b')], {})).not.toBe(key);
    expect(compiledSetKey(adapter, [program('a', { X: 1, Y: true }), program('c')], {})).not.toBe(key);
    expect(compiledSetKey({ ...adapter, driver: 'Mesa 26' }, set, {})).not.toBe(key);
    expect(compiledSetKey(adapter, set, { MESA_SHADER_CACHE_DIR: '/tmp/other' })).not.toBe(key);
  });

  it('remember what was added, forget the oldest past MAX_SETS, and read a damaged file as empty', async () => {
    folder = await mkdtemp(join(tmpdir(), 'sae-stamps-'));
    const file = join(folder, 'nested', 'compiled-pipelines.json');
    const stamps = fileCompileStamps(file);
    expect(await stamps.has(adapter, [program('a')])).toBe(false); // no file yet
    await stamps.add(adapter, [program('a')]);
    expect(await stamps.has(adapter, [program('a')])).toBe(true);
    expect(await stamps.has(adapter, [program('b')])).toBe(false);
    for (let i = 0; i < MAX_SETS; i++) await stamps.add(adapter, [program(`p${i}`)]);
    expect(await stamps.has(adapter, [program('a')])).toBe(false); // the oldest, forgotten
    expect(await stamps.has(adapter, [program(`p${MAX_SETS - 1}`)])).toBe(true);
    await writeFile(file, '{ not json');
    expect(await stamps.has(adapter, [program(`p${MAX_SETS - 1}`)])).toBe(false);
    await stamps.add(adapter, [program('a')]); // rebuilt
    expect(await stamps.has(adapter, [program('a')])).toBe(true);
  });
});
