import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { UNROLLED_BLOCK, UNROLLED_LAYOUTS, unrolledMatmulSource } from '../../scripts/generate-unrolled-matmul';

it('the generated unrolled matmul shaders are what their generator writes (npm run generate:shaders)', () => {
  for (const layout of UNROLLED_LAYOUTS) {
    const { file, code } = unrolledMatmulSource({ ...layout, ...UNROLLED_BLOCK });
    expect(readFileSync(file, 'utf8'), `${file} differs from its generator's output`).toBe(code);
  }
});
