/** MAT-files: readMat, then what the trainer takes from one (patches, IMAGES, theta). */
import { zlibSync } from 'fflate';
import { DataError } from '../../../src/data/errors';
import { readMat, writeMat, type MatVariable, type MatVariableInput } from '../../../src/data/mat';
import { imagesFromMat, patchesFromMat, thetaFromMat } from '../../../src/data/mat-layout';
import { site, type Site } from '../mutations';
import { allFinite, DEFLATE_RATIO, expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

const u32 = (bytes: Uint8Array, offset: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
const roundUp8 = (n: number) => Math.ceil(n / 8) * 8;

/** The top-level elements of an uncompressed file written by writeMat: [start, end). */
function elementsOf(file: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let o = 128; o < file.length; o = out[out.length - 1][1]) out.push([o, o + 8 + u32(file, o + 4)]);
  return out;
}

/** Every size field (element tags, small-element sizes) and dimension of an uncompressed file. */
function sitesOf(file: Uint8Array): Site[] {
  const sites: Site[] = [site(116, 8, true, 'subsystem data offset')];
  elementsOf(file).forEach(([start, end], v) => {
    sites.push(site(start + 4, 4, true, `variable ${v + 1} miMATRIX size`));
    const parts = ['array flags', 'dimensions', 'name', 'data'];
    for (let o = start + 8, k = 0; o < end; k++) {
      const part = `variable ${v + 1} ${parts[k] ?? `sub-element ${k + 1}`}`;
      const first = u32(file, o);
      if (first >>> 16 !== 0) {
        sites.push(site(o + 2, 2, true, `${part} small-element size`));
        o += 8;
        continue;
      }
      const size = u32(file, o + 4);
      sites.push(site(o + 4, 4, true, `${part} size`));
      if (k === 1) for (let i = 0; i < size / 4; i++) sites.push(site(o + 8 + 4 * i, 4, true, `variable ${v + 1} dims[${i}]`));
      o += 8 + roundUp8(size);
    }
  });
  return sites;
}

/** The file with each variable in an miCOMPRESSED element, as `save -v7` writes it. */
function compress(raw: Uint8Array, elements: [number, number][]): Uint8Array {
  const parts = elements.map(([start, end]) => {
    const z = zlibSync(raw.subarray(start, end));
    const element = new Uint8Array(8 + z.length);
    const view = new DataView(element.buffer);
    view.setUint32(0, 15, true);
    view.setUint32(4, z.length, true);
    element.set(z, 8);
    return element;
  });
  const out = new Uint8Array(128 + parts.reduce((s, p) => s + p.length, 0));
  out.set(raw.subarray(0, 128));
  let o = 128;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

interface Read {
  variables: MatVariable[];
  derived: { patches?: ReturnType<typeof patchesFromMat>; images?: ReturnType<typeof imagesFromMat>; theta?: Float64Array };
}

function read(bytes: Uint8Array, source: string, skipUnsupported: boolean): Read {
  const variables = readMat(bytes, source, { skipUnsupported });
  const has = (name: string) => variables.some((v) => v.name === name);
  return {
    variables,
    derived: {
      patches: has('patches') ? patchesFromMat(variables, source) : undefined,
      images: has('IMAGES') ? imagesFromMat(variables, source) : undefined,
      theta: has('theta') ? thetaFromMat(variables, source) : undefined,
    },
  };
}

function check(result: unknown): void {
  const { variables, derived } = result as Read;
  expectValid(Array.isArray(variables), 'variables is not an array');
  for (const v of variables) {
    expectValid(typeof v.name === 'string', 'a name is not a string');
    expectValid(Array.isArray(v.dims) && v.dims.every((d) => Number.isInteger(d) && d >= 0), `${v.name}: bad dims ${v.dims}`);
    expectValid(v.data instanceof Float64Array, `${v.name}: data is not a Float64Array`);
    const count = v.dims.reduce((a, b) => a * b, 1);
    expectValid(count === v.data.length, `${v.name}: dims ${v.dims.join('×')} but ${v.data.length} values`);
  }
  if (derived.patches) {
    const { data, examples, visibleSize } = derived.patches;
    expectValid(isPositiveInteger(examples) && isPositiveInteger(visibleSize), 'patches: bad size');
    expectValid(data.length === examples * visibleSize && allFinite(data), `patches: ${data.length} values for ${visibleSize}×${examples}`);
  }
  for (const image of derived.images ?? []) {
    expectValid(isPositiveInteger(image.width) && isPositiveInteger(image.height), 'IMAGES: bad size');
    expectValid(image.pixels.length === image.width * image.height && allFinite(image.pixels), 'IMAGES: pixels do not match the size');
  }
  if (derived.theta) expectValid(derived.theta.length > 0 && allFinite(derived.theta), 'theta: empty or not finite');
}

function matSeed(name: string, variables: MatVariableInput[], compressed: boolean, skipUnsupported: boolean): Seed {
  const raw = writeMat(variables);
  const elements = elementsOf(raw);
  const sites = sitesOf(raw);
  const bytes = compressed ? compress(raw, elements) : raw;
  if (compressed) {
    // The miCOMPRESSED sizes, in the file itself.
    for (let o = 128, v = 1; o < bytes.length; v++) {
      sites.push(site(o + 4, 4, true, `variable ${v} miCOMPRESSED size`, 'final'));
      o += 8 + u32(bytes, o + 4);
    }
  }
  return {
    name: `${name} (${compressed ? 'compressed' : 'uncompressed'}${skipUnsupported ? '' : ', strict'})`,
    bytes,
    ...(compressed ? { raw, render: (r: Uint8Array) => compress(r, elements) } : {}),
    sites,
    read: (b, source) => read(b, source, skipUnsupported),
    check,
  };
}

export const matTarget: Target = {
  name: '.mat',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // Every value may be one miINT8 byte, read into a float64: 8 bytes per byte of (inflated) file.
  budget: (bytes) => ({ largest: 8 * DEFLATE_RATIO * bytes.length + 64 * KiB, total: 32 * DEFLATE_RATIO * bytes.length + 256 * KiB }),
  seeds() {
    const patches: MatVariableInput[] = [
      { name: 'patches', dims: [16, 5], data: seededValues(80, 1) },
      { name: 'theta', dims: [7, 1], data: seededValues(7, 2, 10) },
      { name: 'W1', dims: [2, 3], data: seededValues(6, 3) }, // a name short enough for a small element
    ];
    const images: MatVariableInput[] = [{ name: 'IMAGES', dims: [6, 5, 2], data: seededValues(60, 4) }];
    return [
      matSeed('patches.mat', patches, false, true),
      matSeed('patches.mat', patches, true, true),
      matSeed('IMAGES.mat', images, false, false),
      matSeed('IMAGES.mat', images, true, false),
    ];
  },
};
