/** The L0–FVU frontier pictures (src/display/frontier.ts): one sweep, and several on common axes. */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { frontierComparePng, frontierPng, frontierSeries, frontierSvg, FVU_AXIS_TITLE, L0_AXIS_TITLE, SERIES_COLORS } from '../../src/display/frontier';

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

/** The SVG's elements in order (no XML parser is installed): tag, attributes, text, the enclosing group's name; tags checked to nest. */
function parseSvg(svg: string) {
  const unescape = (t: string) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const elements: { tag: string; attrs: Record<string, string>; text: string; group?: string }[] = [];
  const open: string[] = [];
  let group: string | undefined;
  for (const [, close, tag, rawAttrs, selfClosing, text] of svg.matchAll(/<(\/?)([a-z]+)((?:\s+[A-Za-z-]+="[^"]*")*)\s*(\/?)>([^<]*)/g)) {
    if (close) {
      expect(open.pop()).toBe(tag);
      if (tag === 'g') group = undefined;
      continue;
    }
    const attrs = Object.fromEntries(Array.from(rawAttrs.matchAll(/([A-Za-z-]+)="([^"]*)"/g), ([, k, v]) => [k, unescape(v)]));
    if (tag === 'g') group = attrs['data-name'];
    elements.push({ tag, attrs, text: unescape(text).trim(), group });
    if (!selfClosing) open.push(tag);
  }
  expect(open).toEqual([]);
  const all = (tag: string, cls?: string, inGroup?: string) =>
    elements.filter((e) => e.tag === tag && (cls === undefined || e.attrs.class === cls) && (inGroup === undefined || e.group === inGroup));
  return { elements, all, texts: (cls: string, inGroup?: string) => all('text', cls, inGroup).map((e) => e.text) };
}

describe('frontierSvg', () => {
  const runs = (variant: string, settings: [number, number, number][]) =>
    settings.map(([setting, l0, fvu]) => ({ variant, settings: { k: setting, l1: setting }, metrics: { l0, fvu } }));
  const series = [
    frontierSeries(runs('topk', [[8, 7.59, 0.128], [3, 2.96, 0.222], [5, 4.8, 0.145]])),
    frontierSeries(runs('batchtopk', [[3, 2.95, 0.386], [5, 4.84, 0.319]])),
    frontierSeries(runs('relu-l1', [[0.3, 20.5, 0.253], [0.6, 9.49, 0.45], [0.9, 4.25, 0.835], [1.2, 0.31, 0.993]])),
  ];
  const svg = frontierSvg(series, 'L0–FVU frontier: three variants');
  const { elements, all, texts } = parseSvg(svg);

  it('is a well-formed SVG with a title, both axis titles and numbered ticks from 0 past the largest value', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(elements[0].tag).toBe('svg');
    expect(texts('title')).toEqual(['L0–FVU frontier: three variants']);
    expect([...texts('axis-title x'), ...texts('axis-title y')]).toEqual([L0_AXIS_TITLE, FVU_AXIS_TITLE]);
    expect(L0_AXIS_TITLE).toBe('L0 (mean active latents per example)');
    expect(FVU_AXIS_TITLE).toBe('FVU (fraction of variance unexplained, about the mean)');
    expect(texts('tick x')).toEqual(['0', '5', '10', '15', '20', '25']);
    expect(texts('tick y')).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1', '1.2']);
  });

  it('draws one polyline per variant through its models in order of L0, each labelled with its k or λ, and a legend naming them', () => {
    const lines = all('polyline', 'series');
    expect(lines.map((l) => l.attrs['data-name'])).toEqual(['TopK', 'BatchTopK', 'ReLU-L1']);
    const xs = lines.map((l) => l.attrs.points.trim().split(/\s+/).map((pair) => Number(pair.split(',')[0])));
    expect(xs.map((x) => x.length)).toEqual([3, 2, 4]);
    for (const x of xs) expect([...x].sort((a, b) => a - b)).toEqual(x);
    // Each series in its own colour, the legend's in the same order.
    expect(lines.map((l) => l.attrs.stroke)).toEqual(SERIES_COLORS.slice(0, 3).map((c) => `rgb(${c.join(',')})`));
    expect(texts('point-label', 'TopK')).toEqual(['k = 3', 'k = 5', 'k = 8']);
    expect(texts('point-label', 'ReLU-L1')).toEqual(['λ = 1.2', 'λ = 0.9', 'λ = 0.6', 'λ = 0.3']);
    expect(all('circle').filter((c) => c.group !== undefined && c.group !== 'legend')).toHaveLength(9);
    expect(texts('legend-name')).toEqual(['TopK', 'BatchTopK', 'ReLU-L1']);
  });

  it('places a model where its values are on the numbered axes', () => {
    const tick = (axis: 'x' | 'y', label: string) => {
      const t = all('text', `tick ${axis}`).find((e) => e.text === label)!;
      return Number(t.attrs[axis]) - (axis === 'y' ? 4 : 0);
    };
    const dot = all('circle', undefined, 'ReLU-L1').at(-1)!; // λ = 0.3: L0 20.5, FVU 0.253
    const x = (l0: number) => tick('x', '0') + ((tick('x', '20') - tick('x', '0')) * l0) / 20;
    const y = (fvu: number) => tick('y', '0') + ((tick('y', '1') - tick('y', '0')) * fvu) / 1;
    expect(Number(dot.attrs.cx)).toBeCloseTo(x(20.5), 0);
    expect(Number(dot.attrs.cy)).toBeCloseTo(y(0.253), 0);
  });

  it('escapes names and skips models whose metrics are not finite', () => {
    const odd = frontierSvg([{ name: 'a<b & "c"', points: [{ l0: 1, fvu: 0.5 }, { l0: NaN, fvu: 0.2 }, { l0: 2, fvu: Infinity }] }]);
    const parsed = parseSvg(odd);
    expect(parsed.texts('legend-name')).toEqual(['a<b & "c"']);
    expect(parsed.all('polyline', 'series')[0].attrs.points.trim().split(/\s+/)).toHaveLength(1);
  });
});
