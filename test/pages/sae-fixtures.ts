/** Messages and runs for the SAE page's unit tests (test/pages/sae-*.test.ts). */
import { densityHistogram } from '../../src/analysis/sae-metrics';
import type { FromWorker, SaeSettings, SaeSnapshot } from '../../src/pages/sae/protocol';
import { DEFAULT_SETTINGS } from '../../src/pages/sae/state';
import type { StoredRun } from '../../src/pages/sae/store';

export function snapshot(overrides: Partial<SaeSnapshot> = {}): SaeSnapshot {
  return {
    step: 100,
    examples: 2000,
    l0: 3,
    fvu: 0.25,
    dead: 2,
    histogram: densityHistogram(Float64Array.from([0, 0, 0.01, 0.02, 0.5])),
    mmcs: 0.9,
    columns: { count: 1, dimensions: 4, latents: [7], values: Float32Array.from([1, 0, 0, 0]) },
    ...overrides,
  };
}

export function ready(settings: SaeSettings = DEFAULT_SETTINGS): Extract<FromWorker, { type: 'ready' }> {
  return { type: 'ready', description: 'synthetic: 256 directions', examples: 40000, dimensions: 64, settings, device: 'vendor google, architecture swiftshader', knownDirections: true };
}

export function finished(overrides: Partial<Extract<FromWorker, { type: 'finished' }>> = {}): Extract<FromWorker, { type: 'finished' }> {
  return { type: 'finished', exitReason: 'max-iterations', steps: 4000, seconds: 12.5, snapshot: snapshot({ step: 4000, examples: 40000 }), ...overrides };
}

export function storedRun(id: number, variant: SaeSettings['variant'], l0: number, fvu: number): StoredRun {
  return {
    id,
    savedAt: 1_700_000_000_000 + id,
    settings: { ...DEFAULT_SETTINGS, variant },
    data: 'synthetic',
    device: 'swiftshader',
    steps: 4000,
    seconds: 10,
    metrics: { l0, fvu, dead: 3, latents: 512, mmcs: 0.95 },
  };
}
