import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activationFileKind, readActivations } from '../../src/data/activations';
import { loadActivations, saveSuperposition } from '../../src/data/activations-node';
import { readNpy, writeNpy } from '../../src/data/npy';
import { writeSafetensors } from '../../src/data/safetensors';
import { generateSuperposition, superpositionFiles, type SuperpositionManifest } from '../../src/data/superposition';
import { expectDataError } from './expect-data-error';

const base = { features: 64, dimensions: 16, examples: 4000, activePerExample: 5, seed: 7 };

describe('generateSuperposition', () => {
  it('makes N unit directions in D dimensions, not all alike', () => {
    const { directions } = generateSuperposition(base);
    expect(directions.length).toBe(64 * 16);
    for (let i = 0; i < 64; i++) {
      let norm = 0;
      for (let j = 0; j < 16; j++) norm += directions[i * 16 + j] ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(1, 12);
    }
    // Random directions in 16 dimensions: |cos| between two of them is about 1/4, never near 1.
    let maxCos = 0;
    for (let a = 0; a < 64; a++) {
      for (let b = a + 1; b < 64; b++) {
        let dot = 0;
        for (let j = 0; j < 16; j++) dot += directions[a * 16 + j] * directions[b * 16 + j];
        maxCos = Math.max(maxCos, Math.abs(dot));
      }
    }
    expect(maxCos).toBeGreaterThan(0.3);
    expect(maxCos).toBeLessThan(0.95);
  });

  it('activates activePerExample features per example on average, each about equally often', () => {
    const { activeCounts, coefficients } = generateSuperposition({ ...base, keepCoefficients: true });
    const total = activeCounts.reduce((a, b) => a + b, 0);
    // Binomial(64, 5/64) per example: the mean of 4000 has a standard deviation of 0.034.
    expect(total / 4000).toBeGreaterThan(5 - 0.15);
    expect(total / 4000).toBeLessThan(5 + 0.15);
    const perFeature = new Array(64).fill(0);
    for (let k = 0; k < 4000; k++) {
      let count = 0;
      for (let i = 0; i < 64; i++) {
        if (coefficients![k * 64 + i] > 0) {
          count++;
          perFeature[i]++;
        }
      }
      expect(count).toBe(activeCounts[k]);
    }
    // Each feature is active in about 4000·5/64 = 312 examples (standard deviation 17).
    for (const n of perFeature) {
      expect(n).toBeGreaterThan(312 - 90);
      expect(n).toBeLessThan(312 + 90);
    }
    // activePerExample = N: every feature in every example.
    expect(Array.from(generateSuperposition({ ...base, examples: 10, activePerExample: 64 }).activeCounts)).toEqual(new Array(10).fill(64));
  });

  it('builds each example as Σ cᵢ dᵢ, with magnitudes in the stated range', () => {
    const { dataset, directions, coefficients } = generateSuperposition({ ...base, examples: 200, magnitudes: { kind: 'uniform', min: 0.5, max: 2 }, keepCoefficients: true });
    let active = 0;
    for (let k = 0; k < 200; k++) {
      for (let j = 0; j < 16; j++) {
        let x = 0;
        for (let i = 0; i < 64; i++) x += coefficients![k * 64 + i] * directions[i * 16 + j];
        expect(dataset.data[k * 16 + j]).toBeCloseTo(x, 12);
      }
      for (let i = 0; i < 64; i++) {
        const c = coefficients![k * 64 + i];
        if (c !== 0) {
          active++;
          expect(c).toBeGreaterThanOrEqual(0.5);
          expect(c).toBeLessThanOrEqual(2);
        }
      }
    }
    expect(active).toBeGreaterThan(0);
  });

  it('draws exponential magnitudes with the stated mean, and adds the stated noise to the same examples', () => {
    const { coefficients } = generateSuperposition({ ...base, magnitudes: { kind: 'exponential', mean: 3 }, keepCoefficients: true });
    const active = Array.from(coefficients!).filter((c) => c !== 0);
    const mean = active.reduce((a, b) => a + b, 0) / active.length;
    // About 20,000 draws of an exponential of mean 3: the sample mean is within 0.02·3 by far.
    expect(mean).toBeGreaterThan(2.9);
    expect(mean).toBeLessThan(3.1);
    const clean = generateSuperposition({ ...base, examples: 2000 });
    const noisy = generateSuperposition({ ...base, examples: 2000, noise: 0.1 });
    let sq = 0;
    for (let i = 0; i < clean.dataset.data.length; i++) sq += (noisy.dataset.data[i] - clean.dataset.data[i]) ** 2;
    expect(Math.sqrt(sq / clean.dataset.data.length)).toBeCloseTo(0.1, 2);
    expect(noisy.directions).toEqual(clean.directions);
  });

  it('is determined by the seed; the directions do not depend on the number of examples', () => {
    const a = generateSuperposition(base);
    const b = generateSuperposition(base);
    expect(b.dataset.data).toEqual(a.dataset.data);
    expect(b.directions).toEqual(a.directions);
    const other = generateSuperposition({ ...base, seed: 8 });
    expect(other.directions).not.toEqual(a.directions);
    expect(other.dataset.data).not.toEqual(a.dataset.data);
    const smaller = generateSuperposition({ ...base, examples: 10 });
    expect(smaller.directions).toEqual(a.directions);
    expect(smaller.dataset.data).toEqual(a.dataset.data.subarray(0, 10 * 16));
  });

  it('refuses impossible options', () => {
    expect(() => generateSuperposition({ ...base, features: 0 })).toThrow(/features must be a positive integer/);
    expect(() => generateSuperposition({ ...base, activePerExample: 65 })).toThrow(/activePerExample must be in \(0, features = 64\]/);
    expect(() => generateSuperposition({ ...base, noise: -1 })).toThrow(/noise/);
    expect(() => generateSuperposition({ ...base, magnitudes: { kind: 'uniform', min: 2, max: 1 } })).toThrow(/0 ≤ min ≤ max/);
    expect(() => generateSuperposition({ ...base, magnitudes: { kind: 'exponential', mean: 0 } })).toThrow(/mean > 0/);
  });
});

describe('superposition files', () => {
  it('writes the data, the directions and a manifest that read back', () => {
    const result = generateSuperposition({ ...base, examples: 50 });
    const files = superpositionFiles(result, 'out/toy');
    expect(files.map((f) => f.name)).toEqual(['out/toy.npy', 'out/toy.directions.npy', 'out/toy.json']);
    const data = readNpy(files[0].bytes);
    expect([data.examples, data.visibleSize]).toEqual([50, 16]);
    expect(data.data).toEqual(result.dataset.data);
    const directions = readNpy(files[1].bytes);
    expect([directions.examples, directions.visibleSize]).toEqual([64, 16]);
    expect(directions.data).toEqual(result.directions);
    const manifest = JSON.parse(new TextDecoder().decode(files[2].bytes)) as SuperpositionManifest;
    expect(manifest).toMatchObject({ kind: 'superposition', features: 64, dimensions: 16, examples: 50, seed: 7, data: 'toy.npy', directions: 'toy.directions.npy', noise: 0 });
    expect(manifest.meanActive).toBe(result.activeCounts.reduce((a, b) => a + b, 0) / 50);
  });

  it('saves them to disk, where loadActivations reads them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sae-superposition-'));
    try {
      const result = generateSuperposition({ ...base, examples: 20 });
      const paths = await saveSuperposition(result, join(dir, 'sub', 'toy'));
      expect(paths).toEqual([join(dir, 'sub', 'toy.npy'), join(dir, 'sub', 'toy.directions.npy'), join(dir, 'sub', 'toy.json')]);
      expect((await loadActivations(paths[0])).data).toEqual(result.dataset.data);
      expect(JSON.parse(await readFile(paths[2], 'utf8')).directions).toBe('toy.directions.npy');
      await expect(loadActivations(join(dir, 'missing.npy'))).rejects.toThrow(/missing\.npy: no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('readActivations', () => {
  const npy = writeNpy(Float32Array.from([1, 2, 3, 4]), 2, 2);
  const st = writeSafetensors([{ name: 'acts', data: Float64Array.from([5, 6, 7, 8, 9, 10]), shape: [3, 2] }]);

  it('tells the formats apart by name, or by their first bytes when the name says nothing', () => {
    expect(activationFileKind('a.NPY')).toBe('npy');
    expect(activationFileKind('a.safetensors')).toBe('safetensors');
    expect(activationFileKind('a.bin')).toBeUndefined();
    expect(activationFileKind('a.bin', npy)).toBe('npy');
    expect(activationFileKind('a.bin', st)).toBe('safetensors');
    expect(activationFileKind('a.bin', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0x7b]))).toBeUndefined();
    expect(Array.from(readActivations('blob', npy).data)).toEqual([1, 2, 3, 4]);
    expect(readActivations('blob', st).examples).toBe(3);
    expect(readActivations('x.safetensors', st, { tensor: 'acts' }).visibleSize).toBe(2);
  });

  it('refuses anything else, and a tensor name for a .npy file', () => {
    expectDataError(() => readActivations('x.csv', new Uint8Array(20)), /^x\.csv: not an activation matrix: expected a \.npy or \.safetensors file/);
    expectDataError(() => readActivations('x.npy', npy, { tensor: 'acts' }), /^x\.npy: a \.npy file holds one array; there is no tensor 'acts'/);
  });
});
