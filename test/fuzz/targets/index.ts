/** The readers the fuzz tests cover, by name. */
import { canaryTargets } from './canaries';
import { checkpointTarget, lbfgsSnapshotTarget } from './checkpoint';
import { classifierModelTarget, classifyCheckpointTarget } from './classify';
import { idxTarget } from './idx';
import { jpegTarget, pngTarget } from './images';
import { matTarget } from './mat';
import { modelJsonTarget } from './model-json';
import { npyTarget } from './npy';
import { safetensorsTarget } from './safetensors';
import type { Target } from './target';

export const targets: Record<string, Target> = {
  mat: matTarget,
  idx: idxTarget,
  npy: npyTarget,
  safetensors: safetensorsTarget,
  png: pngTarget,
  jpeg: jpegTarget,
  checkpoint: checkpointTarget,
  'lbfgs-snapshot': lbfgsSnapshotTarget,
  'model-json': modelJsonTarget,
  'classify-checkpoint': classifyCheckpointTarget,
  'classifier-model-json': classifierModelTarget,
  ...canaryTargets,
};
