/**
 * The model layer's pure parts (src/gpu/model.ts): the one piece planner and the views a step
 * list binds. No GPU needed.
 */
import { describe, expect, it } from 'vitest';
import { ResourceLimitError } from '../../src/gpu/errors';
import { PieceGeometry, planPieces, WINDOW_ROWS } from '../../src/gpu/model';
import { PIECE_ALIGNMENT } from '../../src/gpu/steps';

const needs = { rowFloats: 64, sliceFloats: 64 * 28, describe: 'a 64-25 model' };

describe('planPieces', () => {
  it('keeps data that fit one binding in one piece', () => {
    expect(planPieces(1000, needs, 256, 1000 * 64 * 4)).toEqual({ pieces: 1, pieceRows: 1000 });
  });

  it('cuts the rest into pieces of whole multiples of the alignment that fit every binding', () => {
    // 70,000 bytes hold 273 rows of 64 floats: pieces of 256.
    expect(planPieces(1000, needs, 256, 70_000)).toEqual({ pieces: 4, pieceRows: 256 });
    // The split-K slices can be what limits: 2 slices of 64 × 28 floats fit 14,400 bytes, so 512 rows by slices, 56 by rows.
    const plan = planPieces(100_000, { rowFloats: 4, sliceFloats: 64 * 28, describe: 'a narrow model' }, 256, 1_000_000);
    expect(plan.pieceRows % PIECE_ALIGNMENT).toBe(0);
    expect(Math.ceil(plan.pieceRows / 256) * 64 * 28 * 4).toBeLessThanOrEqual(1_000_000);
    expect(plan.pieceRows * 4 * 4).toBeLessThanOrEqual(1_000_000);
    expect(plan.pieces).toBe(Math.ceil(100_000 / plan.pieceRows));
  });

  it('refuses a network of which one aligned piece cannot fit, naming it and what to do', () => {
    expect(() => planPieces(1000, needs, 256, 8_000)).toThrow(ResourceLimitError);
    expect(() => planPieces(1000, needs, 256, 8_000)).toThrow(/a piece of 256 examples of a 64-25 model needs 65.54 KB in one GPU buffer; this adapter.s largest is 8 KB: use fewer hidden units, fewer input values, or --device cpu/);
  });
});

describe('PieceGeometry', () => {
  const x = { label: 'X' } as GPUBuffer;

  it('one piece of data in one binding: whole buffers, the batch’s own first row', () => {
    const g = new PieceGeometry(1, 1000, false);
    expect(g.piece({ start: 300, count: 97 }, 0)).toEqual({ start: 300, count: 97 });
    expect(g.dataRows(x, 64)({ start: 300, count: 97 }, 0)).toEqual({ binding: x, row: 300 });
    expect(g.resultRows(x, 28)({ start: 300, count: 97 }, 0)).toBe(x);
  });

  it('a full evaluation in pieces: each piece its window, results in place', () => {
    const g = new PieceGeometry(4, 256, true);
    const all = { start: 0, count: 1000 };
    expect([0, 1, 2, 3].map((p) => g.piece(all, p))).toEqual([
      { start: 0, count: 256 },
      { start: 256, count: 256 },
      { start: 512, count: 256 },
      { start: 768, count: 232 },
    ]);
    expect(g.dataRows(x, 64)(all, 3)).toEqual({ binding: { buffer: x, offset: 768 * 64 * 4, size: 232 * 64 * 4 }, row: 0 });
    expect(g.resultRows(x, 28)(all, 1)).toEqual({ buffer: x, offset: 256 * 28 * 4, size: 256 * 28 * 4 });
  });

  it('a mini-batch of a pieced set: a window from the aligned row before it, results from row 0', () => {
    const g = new PieceGeometry(1, 256, true);
    const batch = { start: 301, count: 97 };
    const first = Math.floor(301 / WINDOW_ROWS) * WINDOW_ROWS;
    expect(g.dataRows(x, 64)(batch, 0)).toEqual({ binding: { buffer: x, offset: first * 64 * 4, size: (301 + 97 - first) * 64 * 4 }, row: 301 - first });
    expect((first * 64 * 4) % 256).toBe(0);
    expect(g.resultRows(x, 28)(batch, 0)).toEqual({ buffer: x, offset: 0, size: 97 * 28 * 4 });
  });
});
