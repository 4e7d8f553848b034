/**
 * The float64 matmul every reference step and GPU test leans on, against C[i,j] = Σₖ op(A)[i,k]·op(B)[k,j]
 * written as the textbook loop: both sum in k's order, so they agree to the last bit.
 */
import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/reference/ops';
import { Random } from '../../src/random';

describe('matmul', () => {
  // Sizes past the 4 × 4 blocks' and the 32 × 32 transpose tiles' edges.
  const [M, N, K] = [37, 45, 70];
  const rng = new Random(3);
  const a = Float64Array.from({ length: M * K }, () => rng.normal());
  const b = Float64Array.from({ length: K * N }, () => rng.normal());

  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`op(A)·op(B) with transA ${transA}, transB ${transB} is the textbook sum, bit for bit`, () => {
      const at = (i: number, k: number) => (transA ? a[k * M + i] : a[i * K + k]);
      const bt = (k: number, j: number) => (transB ? b[j * K + k] : b[k * N + j]);
      const c = matmul(a, b, M, N, K, transA, transB);
      expect(c).toHaveLength(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let sum = 0;
          for (let k = 0; k < K; k++) sum += at(i, k) * bt(k, j);
          expect(c[i * N + j]).toBe(sum);
        }
      }
    });
  }
});
