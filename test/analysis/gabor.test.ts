import { describe, expect, it } from 'vitest';
import { featureGaborFits, gaborBank, gaborFit } from '../../src/analysis/gabor';
import { initializeParameters } from '../../src/reference/params';

const tile = { width: 8, height: 8 };
const bank = gaborBank(tile);

describe('Gabor fit', () => {
  it('finds an edge detector that is in the bank, whatever its contrast and offset', () => {
    const edge = new Float64Array(64);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const u = (x - 3) * Math.cos(Math.PI / 4) + (y - 4) * Math.sin(Math.PI / 4);
        const v = -(x - 3) * Math.sin(Math.PI / 4) + (y - 4) * Math.cos(Math.PI / 4);
        edge[y * 8 + x] = 5 - 3 * Math.exp(-(u * u + v * v) / (2 * 1.8 * 1.8)) * Math.sin((2 * Math.PI * u) / 7);
      }
    }
    expect(gaborFit(edge, bank)).toBeGreaterThan(0.999);
  });

  it('fits random initial weights poorly', () => {
    const fits = featureGaborFits(initializeParameters({ visibleSize: 64, hiddenSize: 25 }, 3), 25, tile, bank);
    expect(Math.max(...fits)).toBeLessThan(0.75);
  });

  it('gives 0 for a constant image and refuses a wrong size', () => {
    expect(gaborFit(new Float64Array(64).fill(2), bank)).toBe(0);
    expect(() => gaborFit(new Float64Array(63), bank)).toThrow(/63 values/);
  });
});
