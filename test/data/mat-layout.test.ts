/** UFLDL's variables (IMAGES, patches, θ) between MATLAB's column-major layout and ours. */
import { describe, expect, it } from 'vitest';
import { readMat, writeMat, type MatVariable } from '../../src/data/mat';
import { imagesFromMat, imagesToMat, patchesFromMat, patchesToMat, thetaFromMat, thetaToMat } from '../../src/data/mat-layout';
import { expectDataError } from './expect-data-error';

describe('UFLDL variables', () => {
  it('imagesFromMat turns column-major IMAGES into row-major images', () => {
    // IMAGES(:,:,1) = [1 2 3; 4 5 6], IMAGES(:,:,2) = 10 × that.
    const data = [1, 4, 2, 5, 3, 6, 10, 40, 20, 50, 30, 60];
    const vars: MatVariable[] = [{ name: 'IMAGES', dims: [2, 3, 2], data: Float64Array.from(data) }];
    const images = imagesFromMat(vars, 'IMAGES.mat');
    expect(images).toHaveLength(2);
    expect(images[0].width).toBe(3);
    expect(images[0].height).toBe(2);
    expect(Array.from(images[0].pixels)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(images[1].pixels)).toEqual([10, 20, 30, 40, 50, 60]);
    // and back
    const back = imagesToMat(images);
    expect(back.dims).toEqual([2, 3, 2]);
    expect(Array.from(back.data)).toEqual(data);
  });

  it('imagesFromMat reads a file written by writeMat, compressed', () => {
    const images = [{ width: 3, height: 2, pixels: Float64Array.from([1, 2, 3, 4, 5, 6]) }];
    const read = imagesFromMat(readMat(writeMat([imagesToMat(images)], { compress: true })));
    expect(read).toHaveLength(1);
    expect(Array.from(read[0].pixels)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('patchesFromMat transposes each column-major p×p patch to row-major', () => {
    // Two 2×2 patches. In MATLAB, patch 1 = [1 2; 3 4] is stored as the column [1; 3; 2; 4].
    const vars: MatVariable[] = [{ name: 'patches', dims: [4, 2], data: Float64Array.from([1, 3, 2, 4, 5, 7, 6, 8]) }];
    const dataset = patchesFromMat(vars);
    expect(dataset.examples).toBe(2);
    expect(dataset.visibleSize).toBe(4);
    expect(Array.from(dataset.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(patchesToMat(dataset).data)).toEqual([1, 3, 2, 4, 5, 7, 6, 8]);
  });

  it('patchesFromMat keeps non-square examples as they are', () => {
    const vars: MatVariable[] = [{ name: 'patches', dims: [3, 2], data: Float64Array.from([1, 2, 3, 4, 5, 6]) }];
    expect(Array.from(patchesFromMat(vars).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('thetaFromMat reads a row or column vector', () => {
    const theta = Float64Array.from([0.5, -1, 2]);
    expect(Array.from(thetaFromMat(readMat(writeMat([thetaToMat(theta)]))))).toEqual([0.5, -1, 2]);
    expect(Array.from(thetaFromMat([{ name: 'theta', dims: [1, 3], data: theta }]))).toEqual([0.5, -1, 2]);
  });

  it('names what is missing or malformed', () => {
    const a: MatVariable = { name: 'A', dims: [1, 1], data: Float64Array.from([1]) };
    expectDataError(() => imagesFromMat([a], 'f.mat'), /^f\.mat: no variable named 'IMAGES' \(variables: 'A'\)/);
    expectDataError(() => patchesFromMat([], 'f.mat'), /no variable named 'patches' \(variables: none\)/);
    expectDataError(
      () => thetaFromMat([{ name: 'theta', dims: [2, 2], data: new Float64Array(4) }]),
      /'theta' is 2×2; expected a vector/,
    );
    expectDataError(
      () => imagesFromMat([{ name: 'IMAGES', dims: [2, 2, 2, 2], data: new Float64Array(16) }]),
      /expected rows×cols×count/,
    );
    expectDataError(
      () => imagesFromMat([{ name: 'IMAGES', dims: [1, 2], data: Float64Array.from([1, NaN]) }]),
      /non-finite value NaN at index 1/,
    );
    expectDataError(() => patchesFromMat([{ name: 'patches', dims: [4, 0], data: new Float64Array(0) }]), /empty/);
  });
});
