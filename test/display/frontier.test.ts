/** The L0–FVU frontier pictures (src/display/frontier.ts): one sweep, and several on common axes. */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { frontierComparePng, frontierPng, SERIES_COLORS } from '../../src/display/frontier';

const pixels = (png: Uint8Array) => {
  const image = decode(png);
  const seen = new Set<string>();
  for (let i = 0; i < image.data.length; i += image.channels) seen.add(`${image.data[i]},${image.data[i + 1]},${image.data[i + 2]}`);
  return seen;
};

describe('frontier pictures', () => {
  it('draws each series of a comparison in its own colour, on common axes', () => {
    const series = [
      { points: [{ l0: 3, fvu: 0.3 }, { l0: 5, fvu: 0.2 }] },
      { points: [{ l0: 3, fvu: 0.4 }, { l0: 8, fvu: 0.25 }] },
      { points: [{ l0: 20, fvu: 0.25 }, { l0: 4, fvu: 0.8 }] },
    ];
    const seen = pixels(frontierComparePng(series));
    for (const color of SERIES_COLORS.slice(0, 3)) expect(seen.has(color.join(','))).toBe(true);
    expect(seen.has(SERIES_COLORS[3].join(','))).toBe(false);
  });

  it('one sweep: a blue line with red dots, as before', () => {
    const seen = pixels(frontierPng([{ l0: 3, fvu: 0.3 }, { l0: 5, fvu: 0.2 }]));
    expect(seen.has('40,90,200')).toBe(true);
    expect(seen.has('200,40,40')).toBe(true);
    expect(seen.has('30,150,60')).toBe(false);
  });
});
