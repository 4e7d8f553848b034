/**
 * Files written before the shared container (test/fixtures/checkpoints, made by the writers of
 * the time from tiny runs described in its README) still read, and resume to the very result of
 * an uninterrupted run; damaged ones are refused saying they are of the older format.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeClassifyCheckpoint, encodeClassifyCheckpoint } from '../../src/classify/checkpoint';
import { cpuCompute } from '../../src/classify/compute';
import { defaultSettings, runClassification, type ClassifySettings } from '../../src/classify/pipeline';
import { CheckpointError } from '../../src/io/container';
import { decodeLbfgsSnapshot } from '../../src/optim/lbfgs-snapshot';
import { Random } from '../../src/random';
import { initializeParameters } from '../../src/reference/params';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint';
import { presets, type TrainConfig } from '../../src/train/config';
import { cpuEngine } from '../../src/train/engine';
import { train } from '../../src/train/trainer';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/checkpoints/${name}`, import.meta.url)));
const magicOf = (bytes: Uint8Array, at = 0) => new TextDecoder().decode(bytes.subarray(at, at + 8));

// The runs the fixtures came from.
const shape = { visibleSize: 4, hiddenSize: 2 };
const rng = new Random(11);
const dataset = { data: new Float64Array(10 * 4).map(() => 0.1 + 0.8 * rng.uniform()), examples: 10, visibleSize: 4 };
const lbfgs: TrainConfig = { ...presets['ufldl-natural'], preset: 'custom', hiddenSize: 2, sparsityParam: 0.1, optimizer: 'lbfgs', iterations: 8 };
const adam: TrainConfig = { ...lbfgs, optimizer: 'adam', learningRate: 0.01, batchSize: 5 };
const theta0 = initializeParameters(shape, 3);

const labeled = (n: number, seed: number) => {
  const r = new Random(seed);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
  return { data: new Float64Array(n * 4).map((_, j) => labels[Math.floor(j / 4)] + r.uniform()), examples: n, visibleSize: 4, labels };
};
const classifyData = { train: labeled(6, 1), test: labeled(4, 2), numClasses: 2 };
const softmax: ClassifySettings = { ...defaultSettings, task: 'softmax', hiddenSize: 2, softmaxIterations: 6 };

describe('files written before the shared container', () => {
  it('an L-BFGS training checkpoint (SAECKPT1, holding an LBFGS-SNAPSHOT-2) resumes to the uninterrupted result', async () => {
    const bytes = fixture('train-lbfgs-v1.ckpt');
    expect(magicOf(bytes)).toBe('SAECKPT1');
    const saved = decodeCheckpoint(bytes, 'checkpoint.bin');
    expect(saved.iteration).toBe(4);
    expect(saved.config).toEqual(lbfgs);
    const whole = await train(cpuEngine(shape, lbfgs, dataset), { config: lbfgs, corrections: 3, initialTheta: theta0 });
    const resumed = await train(cpuEngine(shape, lbfgs, dataset), { config: lbfgs, corrections: 3, initialTheta: theta0, resumeFrom: saved });
    expect(resumed.iterations).toBe(whole.iterations);
    expect(Array.from(resumed.theta)).toEqual(Array.from(whole.theta));
    expect(resumed.initialCost).toBe(whole.initialCost);
    // Written again, it is the current format and reads back the same.
    const again = encodeCheckpoint(saved);
    expect(magicOf(again)).toBe('SAE-CKPT');
    expect(decodeCheckpoint(again)).toEqual(saved);
  });

  it('an Adam training checkpoint (SAECKPT1) resumes to the uninterrupted result', async () => {
    const saved = decodeCheckpoint(fixture('train-adam-v1.ckpt'), 'checkpoint.bin');
    expect(saved.iteration).toBe(3);
    expect(Object.keys(saved.state).sort()).toEqual(['m', 'v']);
    const whole = await train(cpuEngine(shape, adam, dataset), { config: adam, initialTheta: theta0 });
    const resumed = await train(cpuEngine(shape, adam, dataset), { config: adam, initialTheta: theta0, resumeFrom: saved });
    expect(Array.from(resumed.theta)).toEqual(Array.from(whole.theta));
  });

  it('an L-BFGS snapshot (LBFGS-SNAPSHOT-2, and the same as LBFGS-SNAPSHOT-1) reads as the one inside the checkpoint', () => {
    const bytes = fixture('lbfgs-snapshot-v2.bin');
    const snapshot = decodeLbfgsSnapshot(bytes);
    expect(snapshot.iteration).toBe(4);
    expect(snapshot.corrections).toHaveLength(3);
    expect(snapshot.innerProducts).toBeUndefined();
    const inCheckpoint = decodeLbfgsSnapshot(decodeCheckpoint(fixture('train-lbfgs-v1.ckpt')).lbfgs!);
    expect(snapshot).toEqual(inCheckpoint);
    // Format 1 differed only in its magic (and never held inner products).
    const v1 = bytes.slice();
    const at = new TextDecoder().decode(v1).indexOf('LBFGS-SNAPSHOT-2');
    v1[at + 'LBFGS-SNAPSHOT-'.length] = '1'.charCodeAt(0);
    expect(decodeLbfgsSnapshot(v1)).toEqual(snapshot);
  });

  it('a classification checkpoint (SAECLS01) stopped inside its stage resumes to the uninterrupted result', async () => {
    const bytes = fixture('classify-softmax-v1.ckpt');
    expect(magicOf(bytes)).toBe('SAECLS01');
    const saved = decodeClassifyCheckpoint(bytes, 'checkpoint.bin');
    expect(saved.data).toEqual({ description: 'six made-up examples', options: { examples: 6 } });
    expect(saved.current?.name).toBe('softmax on raw pixels');
    expect(decodeLbfgsSnapshot(saved.current!.state).iteration).toBe(2);
    const whole = await runClassification(cpuCompute(), classifyData, softmax, { corrections: 3 });
    const resumed = await runClassification(cpuCompute(), classifyData, softmax, { corrections: 3, resumeFrom: saved });
    expect(resumed.cancelled).toBe(false);
    expect(Array.from(resumed.classifier.theta)).toEqual(Array.from(whole.classifier.theta));
    expect(resumed.stages[0].iterations).toBe(whole.stages[0].iterations);
    expect(decodeClassifyCheckpoint(encodeClassifyCheckpoint(saved))).toEqual(saved);
  });

  it('damaged older files are refused with a CheckpointError that names the file and the older format', () => {
    for (const [name, read] of [
      ['train-lbfgs-v1.ckpt', (b: Uint8Array) => decodeCheckpoint(b, 'old.bin')],
      ['train-adam-v1.ckpt', (b: Uint8Array) => decodeCheckpoint(b, 'old.bin')],
      ['classify-softmax-v1.ckpt', (b: Uint8Array) => decodeClassifyCheckpoint(b, 'old.bin')],
      ['lbfgs-snapshot-v2.bin', (b: Uint8Array) => decodeLbfgsSnapshot(b, 'old.bin')],
    ] as const) {
      const bytes = fixture(name);
      const format = name.includes('v2') ? 2 : 1;
      for (const cut of [bytes.length - 8, bytes.length - 1, 40, 33]) {
        let message = '';
        try {
          read(bytes.subarray(0, cut));
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
          message = (error as Error).message;
        }
        expect(message, `${name} cut to ${cut} bytes`).toMatch(new RegExp(`^old\\.bin: .*\\(a format ${format} file, from an older version of this program\\)$`));
      }
    }
  });
});
