/**
 * The dispatches that do several steps' work at once (src/gpu/layers.ts sumSlicesTogether,
 * padWeightPair) against the steps one by one: the same additions in the same order, so the
 * same bits, not merely the same values within the tolerance policy.
 */
import { describe, expect, it } from 'vitest';
import { padMatrixPairProgram, padMatrixProgram, sumSlicesMultiProgram, sumSlicesProgram, type SliceSumTarget } from '../../src/gpu/programs';
import { createStorageBuffer, readF32, runPrograms, uploadF32 } from '../../src/gpu/runtime';
import { Random } from '../../src/random';
import { useGpuContext } from './context';

const gpu = useGpuContext();

function values(rng: Random, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}

describe('several reductions in one dispatch', () => {
  it('sum slices ×5 writes what five sum slices write, bit for bit', async () => {
    const device = gpu().device;
    const rng = new Random(3);
    // Fused tile sums (many slices, 16 accumulators) beside split-K slices (4), with λW, += and a second output.
    const targets: SliceSumTarget[] = [
      { rows: 1, cols: 7, ld: 8, sliceStride: 8, slices: 37, outOffset: 90, scale: 1 / 300, accumulators: 16, dest: 'out' },
      { rows: 1, cols: 7, ld: 8, sliceStride: 8, slices: 37, outOffset: 0, scale: 1, accumulate: true, accumulators: 16, dest: 'out2' },
      { rows: 5, cols: 7, ld: 8, sliceStride: 40, slices: 6, outOffset: 0, wOffset: 0, scale: 1 / 300, lambda: 0.25, accumulators: 4, dest: 'out' },
      { rows: 1, cols: 5, ld: 8, sliceStride: 8, slices: 3, outOffset: 97, scale: 1 / 300, accumulate: true, accumulators: 16, dest: 'out' },
      { rows: 7, cols: 5, ld: 8, sliceStride: 56, slices: 5, outOffset: 35, wOffset: 35, scale: 1 / 300, lambda: 0.25, accumulate: true, accumulators: 4, dest: 'out' },
    ];
    const sources = targets.map((g) => uploadF32(device, values(rng, g.slices * g.sliceStride), 'partials'));
    const w = uploadF32(device, values(rng, 110), 'w');
    const start = [values(rng, 110), values(rng, 8)];
    const one = [uploadF32(device, start[0], 'out one by one'), uploadF32(device, start[1], 'out2 one by one')];
    const together = [uploadF32(device, start[0], 'out together'), uploadF32(device, start[1], 'out2 together')];
    try {
      await runPrograms(
        gpu(),
        targets.map((g, t) => ({ program: sumSlicesProgram(g), buffers: { partials: sources[t], w, out: one[g.dest === 'out' ? 0 : 1] } })),
      );
      const multi = sumSlicesMultiProgram(targets);
      await runPrograms(gpu(), [
        { program: multi, buffers: { ...Object.fromEntries(sources.map((s, t) => [`src${t}`, s])), w, out: together[0], out2: together[1] } },
      ]);
      expect(multi.dispatch[2]).toBe(5);
      expect(multi.chains).toEqual(targets.map((g) => sumSlicesProgram(g).chainLength));
      for (const [i, n] of [[0, 110], [1, 8]]) {
        const [a, b] = [await readF32(gpu(), one[i], 0, n), await readF32(gpu(), together[i], 0, n)];
        expect(Array.from(b)).toEqual(Array.from(a));
        expect(Array.from(b)).not.toEqual(Array.from(start[i]));
      }
    } finally {
      for (const b of [...sources, w, ...one, ...together]) b.destroy();
    }
  });

  it('pad matrix pair writes what two pad matrix runs write', async () => {
    const device = gpu().device;
    const src = uploadF32(device, values(new Random(4), 3 + 13 * 6 + 6 * 13), 'θ');
    const blocks = [{ rows: 13, cols: 6, outRows: 16, srcOffset: 3 }, { rows: 6, cols: 13, outRows: 8, srcOffset: 3 + 78 }] as const;
    const sizes = [16 * 8, 8 * 16];
    const one = sizes.map((n) => createStorageBuffer(device, n * 4, 'one'));
    const pair = sizes.map((n) => createStorageBuffer(device, n * 4, 'pair'));
    try {
      await runPrograms(gpu(), blocks.map((b, i) => ({ program: padMatrixProgram(b), buffers: { src, dst: one[i] } })));
      await runPrograms(gpu(), [{ program: padMatrixPairProgram(blocks), buffers: { src, dst0: pair[0], dst1: pair[1] } }]);
      for (let i = 0; i < 2; i++) {
        const [a, b] = [await readF32(gpu(), one[i], 0, sizes[i]), await readF32(gpu(), pair[i], 0, sizes[i])];
        expect(Array.from(b)).toEqual(Array.from(a));
        expect(a.some((x) => x !== 0)).toBe(true);
      }
    } finally {
      for (const b of [src, ...one, ...pair]) b.destroy();
    }
  });
});
