import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNaturalImages } from '../../src/data/natural-node';
import { cachedPreparation, type PlanarImage, type PreparedStore } from '../../src/data/prepared-cache';
import { nodePreparedStore } from '../../src/data/prepared-cache-node';
import { cacheFolder, projectModules } from '../../src/io/cache-folder';

function memoryStore(): PreparedStore & { entries: Map<string, Uint8Array>; writes: number } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    writes: 0,
    where: 'memory',
    async read(name) {
      return entries.get(name)?.slice();
    },
    async write(name, bytes) {
      this.writes++;
      entries.set(name, bytes.slice());
    },
  };
}

const files = [{ bytes: new Uint8Array([1, 2, 3]) }, { bytes: new Uint8Array([4, 5]) }];

/** A preparation that counts its calls and makes images whose bits are not round numbers. */
function counting() {
  const made = { calls: 0 };
  const prepare = (): PlanarImage[] => {
    made.calls++;
    return [
      { width: 3, height: 2, pixels: Float64Array.from({ length: 6 }, (_, i) => Math.sin(i + 0.1) / 3), name: 'a' },
      { width: 2, height: 2, pixels: Float64Array.from({ length: 12 }, (_, i) => Math.cos(i) * 1e-7), name: 'b' },
    ];
  };
  return { made, prepare };
}

describe('the prepared-images cache', () => {
  it('prepares once, then gives back the same bits without preparing', async () => {
    const store = memoryStore();
    const { made, prepare } = counting();
    const first = await cachedPreparation(store, 'test', files, prepare);
    const second = await cachedPreparation(store, 'test', files, prepare);
    expect([first.outcome, second.outcome, made.calls, store.writes]).toEqual(['miss', 'hit', 1, 1]);
    expect(second.images).toEqual(first.images);
    expect(second.images.map((i) => i.name)).toEqual(['a', 'b']);
  });

  it('misses when a source file or the preparation differs', async () => {
    const store = memoryStore();
    const { made, prepare } = counting();
    await cachedPreparation(store, 'test', files, prepare);
    const changed = [files[0], { bytes: new Uint8Array([4, 6]) }];
    expect((await cachedPreparation(store, 'test', changed, prepare)).outcome).toBe('rebuilt');
    expect((await cachedPreparation(store, 'other', changed, prepare)).outcome).toBe('miss');
    expect(made.calls).toBe(3);
  });

  it('rebuilds a corrupt or truncated entry and never hands out its values', async () => {
    const store = memoryStore();
    const { made, prepare } = counting();
    const good = (await cachedPreparation(store, 'test', files, prepare)).images;
    const entry = store.entries.get('test')!;
    const flipped = entry.slice();
    flipped[flipped.length - 3] ^= 0x10; // a bit of the last image's pixels: still a finite float64
    for (const bad of [flipped, entry.subarray(0, entry.length - 40), new Uint8Array(0), new TextEncoder().encode('not a cache entry at all')]) {
      store.entries.set('test', bad);
      const again = await cachedPreparation(store, 'test', files, prepare);
      expect(again.outcome).toBe('rebuilt');
      expect(again.images).toEqual(good);
      expect((await cachedPreparation(store, 'test', files, prepare)).outcome).toBe('hit');
    }
    expect(made.calls).toBe(5);
  });

  it('costs only time when the store cannot be written', async () => {
    const store: PreparedStore = { where: 'nowhere', read: async () => undefined, write: async () => Promise.reject(new Error('read-only file system')) };
    const { made, prepare } = counting();
    const result = await cachedPreparation(store, 'test', files, prepare);
    expect(result.images).toHaveLength(2);
    expect(result.warning).toMatch(/could not keep the prepared images in nowhere \(read-only file system\)/);
    expect(made.calls).toBe(1);
  });
});

describe('the cache in Node', () => {
  let folder: string | undefined;
  const before = process.env.SAE_CACHE_DIR;
  afterEach(async () => {
    if (before === undefined) delete process.env.SAE_CACHE_DIR;
    else process.env.SAE_CACHE_DIR = before;
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('is node_modules/.cache by default, another folder with SAE_CACHE_DIR, none with off', () => {
    expect(cacheFolder({})).toMatch(/node_modules[/\\]\.cache[/\\]webgpu-sparse-autoencoder$/);
    expect(cacheFolder({ SAE_CACHE_DIR: '/somewhere' })).toBe('/somewhere');
    expect(cacheFolder({ SAE_CACHE_DIR: 'off' })).toBeUndefined();
    process.env.SAE_CACHE_DIR = 'off';
    expect(nodePreparedStore()).toBeUndefined();
  });

  it('finds the project\'s node_modules from the sources and from a command bundle inside it', async () => {
    folder = await mkdtemp(join(tmpdir(), 'sae-modules-'));
    const modules = join(folder, 'project', 'node_modules');
    await mkdir(join(modules, '.cache', 'x', 'cli'), { recursive: true });
    await mkdir(join(folder, 'project', 'src', 'io'), { recursive: true });
    expect(projectModules(join(folder, 'project', 'src', 'io'))).toBe(modules);
    expect(projectModules(join(modules, '.cache', 'x', 'cli'))).toBe(modules);
    expect(projectModules(folder)).toBeUndefined(); // none above a temporary folder
  });

  it('keeps the whitened natural images: a second load reads the same bits, a damaged file is rebuilt', async () => {
    folder = await mkdtemp(join(tmpdir(), 'sae-cache-'));
    process.env.SAE_CACHE_DIR = folder;
    const first = await loadNaturalImages();
    const entry = join(folder, 'natural-gray.bin');
    const written = await readFile(entry);
    const second = await loadNaturalImages();
    expect(second.map((i) => [i.width, i.height])).toEqual(first.map((i) => [i.width, i.height]));
    second.forEach((image, k) => expect(Buffer.from(image.pixels.buffer).equals(Buffer.from(first[k].pixels.buffer))).toBe(true));
    const damaged = Buffer.from(written);
    damaged[damaged.length - 1001] ^= 0x01;
    await writeFile(entry, damaged);
    const third = await loadNaturalImages();
    third.forEach((image, k) => expect(Buffer.from(image.pixels.buffer).equals(Buffer.from(first[k].pixels.buffer))).toBe(true));
    expect((await readFile(entry)).equals(written)).toBe(true);
  });
});
