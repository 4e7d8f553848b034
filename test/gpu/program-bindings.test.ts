/**
 * Kernel programs name their bindings (KernelProgram.bindingNames) and callers bind buffers by
 * those names: here every program's names and kinds are checked against the WGSL it runs, so a
 * name can't drift from the shader's variable. (No GPU needed.)
 */
import { describe, expect, it } from 'vitest';
import { MATMUL_VARIANTS } from '../../src/gpu/adapter';
import {
  classifierCostProgram,
  columnSumsProgram,
  costProgram,
  sumSlicesProgram,
  hiddenDeltaProgram,
  matmulProgram,
  outputDeltaProgram,
  padMatrixProgram,
  softmaxProgram,
  sumSquaresProgram,
  type KernelProgram,
} from '../../src/gpu/programs';
import { inBindingOrder } from '../../src/gpu/runtime';

const KIND = { uniform: 'uniform', 'storage, read': 'read-only-storage', 'storage, read_write': 'storage' } as const;

/** The shader's bindings in order: [name, kind]. */
function wgslBindings(code: string): [string, string][] {
  const found: [number, string, string][] = [];
  for (const match of code.matchAll(/@binding\((\d+)\)\s*var<([^>]*)>\s*(\w+)/g)) {
    found.push([Number(match[1]), match[3], KIND[match[2].trim() as keyof typeof KIND] ?? match[2]]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, name, kind]) => [name, kind]);
}

const programs: KernelProgram[] = [
  ...MATMUL_VARIANTS.flatMap((variant) =>
    (['NN', 'NT', 'TN', 'sigmoid', 'linear', 'relu'] as const).map((layout) =>
      matmulProgram(
        { M: 16, N: 16, K: 16, transA: layout === 'TN', transB: layout === 'NT', activation: layout === 'NN' || layout === 'NT' || layout === 'TN' ? undefined : layout },
        variant,
        16,
      ),
    ),
  ),
  padMatrixProgram({ rows: 3, cols: 5, outRows: 4, srcOffset: 0 }),
  columnSumsProgram({ rows: 10, cols4: 2 }, 8),
  sumSlicesProgram({ rows: 1, cols: 5, ld: 8, sliceStride: 8, slices: 3, outOffset: 0, scale: 1 }),
  outputDeltaProgram({ rows: 10, cols4: 2, xOffset: 0 }, 8),
  outputDeltaProgram({ rows: 10, cols4: 2, xOffset: 0, output: 'linear' }, 8),
  hiddenDeltaProgram({ rows: 10, hidden: 5, sparsity: { sparsityParam: 0.1, beta: 3 } }, 8),
  hiddenDeltaProgram({ rows: 10, hidden: 5, sparsity: null }, 8),
  hiddenDeltaProgram({ rows: 10, hidden: 5, sparsity: null, activation: 'relu' }, 8),
  sumSquaresProgram({ count: 100, srcOffset: 0 }),
  costProgram({ squaredErrorCount: 4, weightCount: 2, hidden: 5, examples: 10, sparsityParam: 0.1, lambda: 1e-4, beta: 3 }),
  costProgram({ squaredErrorCount: 4, weightCount: 2, hidden: 5, examples: 10, sparsityParam: 0.1, lambda: 1e-4, beta: 3, sparse: false }),
  softmaxProgram({ rows: 10, classes: 4, labelOffset: 0 }),
  classifierCostProgram({ lossCount: 2, weightCount: 2, examples: 10, lambda: 1e-4 }),
];

describe('programs name their bindings as their WGSL does', () => {
  for (const program of programs) {
    it(`${program.name} (${program.shader.file})`, () => {
      const wgsl = wgslBindings(program.shader.code);
      expect(wgsl[0]).toEqual(['p', 'uniform']);
      expect(program.bindingNames).toEqual(wgsl.slice(1).map(([name]) => name));
      expect(program.bindings).toEqual(wgsl.map(([, kind]) => kind));
    });
  }
});

/** The shader's override constants: name → WGSL type. */
function wgslOverrides(code: string): Map<string, string> {
  return new Map([...code.matchAll(/^override\s+(\w+)\s*:\s*(\w+)/gm)].map((m) => [m[1], m[2]]));
}

describe('programs set only override constants their WGSL declares, of its type', () => {
  for (const program of programs) {
    it(`${program.name} (${program.shader.file})`, () => {
      const overrides = wgslOverrides(program.shader.code);
      for (const [name, value] of Object.entries(program.constants)) {
        expect(overrides.has(name), `${name} is not an override of ${program.shader.file}`).toBe(true);
        expect(overrides.get(name) === 'bool', `${name}'s type`).toBe(typeof value === 'boolean');
      }
    });
  }
});

describe('binding by name', () => {
  const program = padMatrixProgram({ rows: 3, cols: 5, outRows: 4, srcOffset: 0 });
  const src = { label: 'src' } as unknown as GPUBuffer;
  const dst = { label: 'dst' } as unknown as GPUBuffer;

  it('puts the buffers in the shader’s order whatever order they are given in', () => {
    expect(inBindingOrder(program, { dst, src })).toEqual([src, dst]);
  });

  it('names a missing binding and one the program does not have', () => {
    expect(() => inBindingOrder(program, { src })).toThrow(/pad matrix binds src, dst; missing: dst/);
    expect(() => inBindingOrder(program, { src, dst, out: dst })).toThrow(/not its bindings: out/);
  });
});
