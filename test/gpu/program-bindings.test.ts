/**
 * Kernel programs name their bindings (KernelProgram.bindingNames) and callers bind buffers by
 * those names: here every program's names and kinds are checked against the WGSL it runs, so a
 * name can't drift from the shader's variable. Likewise what else TypeScript shares with a
 * shader: the uniform struct a program packs by name (uniformFields), the storage structs it
 * packs (storageStructs), and the override constants it passes. (No GPU needed.)
 */
import { describe, expect, it } from 'vitest';
import { MATMUL_VARIANTS } from '../../src/gpu/adapter';
import {
  classifierCostProgram,
  columnSumsProgram,
  costProgram,
  sumSlicesMultiProgram,
  sumSlicesProgram,
  hiddenDeltaProgram,
  fusedMatmulProgram,
  matmulProgram,
  namedUniforms,
  packUniforms,
  outputDeltaProgram,
  padMatrixPairProgram,
  padMatrixProgram,
  softmaxProgram,
  sumSquaresProgram,
  type KernelProgram,
} from '../../src/gpu/programs';
import {
  adamProgram,
  axpyProgram,
  LBFGS_IDLE_STEP,
  lbfgsPrograms,
  scaleProgram,
} from '../../src/gpu/optimizer-programs';
import { convolveProgram, im2colProgram, meanPoolProgram } from '../../src/gpu/conv-programs';
import { inBindingOrder } from '../../src/gpu/runtime';
import { auxKDeltaProgram, batchTopKPrograms, centerRowsProgram, decoderNormsProgram, l1Program, latentFiringProgram, sparseBackwardProgram, sparseDecodeProgram, topKProgram } from '../../src/gpu/sae-programs';

const KIND = { uniform: 'uniform', 'storage, read': 'read-only-storage', 'storage, read_write': 'storage' } as const;

function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/** Each function's body (its braces and what they enclose), by name. */
function wgslFunctions(code: string): Map<string, string> {
  const functions = new Map<string, string>();
  for (const match of code.matchAll(/\bfn\s+(\w+)\s*\(/g)) {
    const open = code.indexOf('{', match.index);
    let depth = 0;
    let close = open;
    for (; close < code.length; close++) {
      if (code[close] === '{') depth++;
      if (code[close] === '}' && --depth === 0) break;
    }
    functions.set(match[1], code.slice(open, close + 1));
  }
  return functions;
}

/** The identifiers an entry point uses, through the functions it calls (not member names: p.x is p). */
function usedBy(code: string, entryPoint: string): Set<string> {
  const functions = wgslFunctions(code);
  const used = new Set<string>();
  const pending = [entryPoint];
  while (pending.length > 0) {
    const body = functions.get(pending.pop()!);
    if (body === undefined) continue;
    for (const [name] of body.matchAll(/(?<![.\w])[A-Za-z_]\w*/g)) {
      if (used.has(name)) continue;
      used.add(name);
      if (functions.has(name)) pending.push(name);
    }
  }
  return used;
}

/**
 * An entry point's bindings in binding order: [name, kind]. A shader with one entry point: every
 * variable it declares (a program binds the buffers of all its variants, even one a variant leaves
 * unread). A shader with several: those the entry point uses, since each declares its own on the
 * same binding numbers.
 */
function wgslBindings(source: string, entryPoint: string): [string, string][] {
  const code = withoutComments(source);
  const used = usedBy(code, entryPoint);
  expect(used.size, `entry point ${entryPoint}`).toBeGreaterThan(0);
  const single = [...code.matchAll(/@compute\b/g)].length === 1;
  const found: [number, string, string][] = [];
  for (const match of code.matchAll(/@binding\((\d+)\)\s*var<([^>]*)>\s*(\w+)/g)) {
    if (single || used.has(match[3])) found.push([Number(match[1]), match[3], KIND[match[2].trim() as keyof typeof KIND] ?? match[2]]);
  }
  const slots = found.map(([slot]) => slot);
  expect(new Set(slots).size, `${entryPoint} uses binding slots ${slots.join(', ')}`).toBe(slots.length);
  return found.sort((a, b) => a[0] - b[0]).map(([, name, kind]) => [name, kind]);
}

/** The fields of struct `name`, in order: [field, type]. */
function wgslStruct(source: string, name: string): [string, string][] {
  const code = withoutComments(source);
  const body = new RegExp(`\\bstruct\\s+${name}\\s*\\{([^}]*)\\}`).exec(code);
  expect(body, `struct ${name}`).not.toBeNull();
  return [...body![1].matchAll(/(\w+)\s*:\s*([\w<>]+)/g)].map(([, field, type]) => [field, type]);
}

/** The override constants the shader declares, with whether each has a default. */
function wgslOverrides(source: string): Map<string, boolean> {
  const code = withoutComments(source);
  return new Map([...code.matchAll(/\boverride\s+(\w+)\s*(?::\s*\w+)?\s*(=)?/g)].map(([, name, hasDefault]) => [name, hasDefault !== undefined]));
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
  fusedMatmulProgram({ M: 16, N: 16, K: 16, transB: false, activation: 'sigmoid', epilogue: { kind: 'column sums' } }),
  fusedMatmulProgram({ M: 16, N: 16, K: 16, transB: false, activation: 'relu', epilogue: { kind: 'column sums' } }),
  fusedMatmulProgram({ M: 16, N: 16, K: 16, transB: false, activation: 'sigmoid', epilogue: { kind: 'output delta', xOffset: 4 } }),
  fusedMatmulProgram({ M: 16, N: 16, K: 16, transB: false, activation: 'linear', epilogue: { kind: 'output delta', xOffset: 0 } }),
  fusedMatmulProgram({ M: 16, N: 16, K: 16, transB: true, nValid: 13, epilogue: { kind: 'hidden delta', sparsity: { sparsityParam: 0.1, beta: 3 }, activation: 'sigmoid' } }),
  fusedMatmulProgram({ M: 16, N: 16, K: 16, transB: true, epilogue: { kind: 'hidden delta', sparsity: null, activation: 'relu' } }),
  padMatrixProgram({ rows: 3, cols: 5, outRows: 4, srcOffset: 0 }),
  padMatrixPairProgram([{ rows: 3, cols: 5, outRows: 4, srcOffset: 0 }, { rows: 5, cols: 3, outRows: 8, srcOffset: 15 }]),
  columnSumsProgram({ rows: 10, cols4: 2 }, 8),
  sumSlicesProgram({ rows: 1, cols: 5, ld: 8, sliceStride: 8, slices: 3, outOffset: 0, scale: 1 }),
  sumSlicesMultiProgram([
    { rows: 1, cols: 5, ld: 8, sliceStride: 8, slices: 30, outOffset: 0, scale: 1, accumulators: 16, dest: 'out2' },
    { rows: 3, cols: 5, ld: 8, sliceStride: 24, slices: 3, outOffset: 4, wOffset: 4, scale: 0.5, lambda: 0.1, accumulate: true, accumulators: 4, dest: 'out' },
  ]),
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
  axpyProgram({ length: 10, a: 0.5, overwrite: false }),
  scaleProgram({ length: 10, a: 0.5 }),
  adamProgram({ length: 10, settings: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 3 } }),
  ...Object.values(lbfgsPrograms({ length: 6130, corrections: 5 }, { ...LBFGS_IDLE_STEP, rows: 6, terms: 6 })),
  topKProgram({ rows: 3, cols: 10, k: 2 }),
  topKProgram({ rows: 3, cols: 10, k: 2, sparse: true }),
  topKProgram({ rows: 3, cols: 10, k: 2, masked: true }),
  topKProgram({ rows: 3, cols: 10, k: 2, sparse: true, masked: true, variant: 'thread' }),
  ...batchTopKPrograms({ rows: 3, cols: 10, k: 2, rate: 0.01 }),
  sparseDecodeProgram({ rows: 3, k: 2, width: 5, biasOffset: 0 }),
  ...(['backprop', 'buildLists', 'weightGradients', 'decoderBias'] as const).map((step) => sparseBackwardProgram(step, { rows: 3, k: 2, latents: 10, width: 5, scale: 1 / 3 })),
  centerRowsProgram({ rows: 3, cols: 5, biasOffset: 0 }),
  auxKDeltaProgram({ rows: 10, cols4: 2, coefficient: 1 / 32 }, 8),
  ...(['columnNorms', 'removeParallel', 'renormalize'] as const).map((step) => decoderNormsProgram(step, { latents: 10, width: 5, wOffset: 0, gOffset: 0 })),
  latentFiringProgram({ rows: 10, latents: 7 }),
  ...(['penaltyPerExample', 'encoderDelta', 'decoderGradient', 'addPenalty'] as const).map((step) => l1Program(step, { rows: 3, latents: 10, width: 5, lambda: 0.1, scale: 1 / 3 })),
  convolveProgram({ images: 2, channels: 3, imageDim: 9, features: 5, patchDim: 4 }),
  meanPoolProgram({ maps: 10, convDim: 6, poolDim: 4 }),
  meanPoolProgram({ maps: 10, convDim: 6, poolDim: 4, positionMajor: { features: 5, ld: 8 } }),
  im2colProgram({ images: 2, channels: 3, imageDim: 9, patchDim: 4 }),
];

describe('programs name their bindings as their WGSL does', () => {
  for (const program of programs) {
    it(`${program.name} (${program.shader.file}:${program.entryPoint})`, () => {
      const wgsl = wgslBindings(program.shader.code, program.entryPoint);
      expect(wgsl[0]).toEqual(['p', 'uniform']);
      expect(program.bindingNames).toEqual(wgsl.slice(1).map(([name]) => name));
      expect(program.bindings).toEqual(wgsl.map(([, kind]) => kind));
    });
  }
});

describe('programs pack the structs their WGSL declares', () => {
  const named = programs.filter((program) => program.uniformFields);
  it('every program names its uniform fields (packed with namedUniforms), so each is checked below', () => {
    expect(programs.filter((program) => !program.uniformFields).map((program) => program.name)).toEqual([]);
  });

  for (const program of named) {
    it(`${program.name}: the uniform struct, field by field`, () => {
      const struct = /var<uniform>\s*p\s*:\s*(\w+)/.exec(program.shader.code)?.[1];
      expect(struct, 'the uniform block p').toBeDefined();
      expect(program.uniformFields).toEqual(wgslStruct(program.shader.code, struct!));
      expect(program.uniforms.byteLength).toBeGreaterThanOrEqual(program.uniformFields!.length * 4);
    });
  }

  for (const program of programs.filter((p) => p.storageStructs)) {
    for (const [struct, fields] of Object.entries(program.storageStructs!)) {
      it(`${program.name}: struct ${struct}`, () => {
        expect(fields).toEqual(wgslStruct(program.shader.code, struct));
      });
    }
  }
});

describe('programs pass the override constants their WGSL declares', () => {
  for (const program of programs) {
    it(`${program.name} (${program.shader.file})`, () => {
      const overrides = wgslOverrides(program.shader.code);
      // Every constant passed is one the shader has, and every one without a default is passed:
      // the TypeScript value is then the only one.
      expect(Object.keys(program.constants).filter((name) => !overrides.has(name))).toEqual([]);
      const required = [...overrides].filter(([, hasDefault]) => !hasDefault).map(([name]) => name);
      expect(required.filter((name) => !(name in program.constants))).toEqual([]);
    });
  }

  it('every program passes every override its shader declares (but those derived from others), so a WGSL default never decides', () => {
    for (const program of programs) {
      const code = withoutComments(program.shader.code);
      const names = [...wgslOverrides(code).keys()];
      const derived = (name: string) => {
        const initializer = new RegExp(`\\boverride\\s+${name}\\b[^=;]*=([^;]*);`).exec(code)?.[1] ?? '';
        return names.some((other) => new RegExp(`\\b${other}\\b`).test(initializer));
      };
      const missing = names.filter((name) => !derived(name) && !(name in program.constants));
      expect(missing, program.name).toEqual([]);
    }
  });
});

describe('named uniforms', () => {
  it('pack the bytes the positional form packs, and record the fields in order', () => {
    const { uniforms, uniformFields } = namedUniforms([
      ['rows', 'u32', 7],
      ['scale', 'f32', 0.1],
    ]);
    expect(new Uint8Array(uniforms)).toEqual(new Uint8Array(packUniforms([['u32', 7], ['f32', 0.1]])));
    expect(uniformFields).toEqual([['rows', 'u32'], ['scale', 'f32']]);
  });

  it('name the field a value out of u32 range was given for', () => {
    expect(() => namedUniforms([['rows', 'u32', -1]])).toThrow(/uniform field rows must be a u32, got -1/);
  });
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
