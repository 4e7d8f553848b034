/**
 * Whether a model fits this machine's memory, asked before anything that big is allocated. The
 * GPU's own limits are checked where its buffers are made (src/gpu/autoencoder.ts, lbfgs.ts).
 */
import { formatBytes, ResourceLimitError } from '../gpu/errors';
import { DEFAULT_CORRECTIONS } from '../optim/lbfgs';
import { thetaLayout, type Shape } from '../reference/params';
import type { OptimizerName } from './config';

/**
 * θ-sized float64 vectors held in this process at once: θ, its gradient and a few spares, plus
 * L-BFGS's pairs (on the CPU engine, and read back for every checkpoint on the GPU's).
 */
function vectorsHeld(optimizer: OptimizerName): number {
  return optimizer === 'lbfgs' ? 2 * DEFAULT_CORRECTIONS + 8 : 8;
}

/** Throws a ResourceLimitError when the model's vectors would take more than `available` bytes. */
export function checkModelSize(shape: Shape, optimizer: OptimizerName, available: number): void {
  const n = thetaLayout(shape).length;
  const bytes = n * 8 * vectorsHeld(optimizer);
  if (bytes > available) {
    throw new ResourceLimitError(
      `a ${shape.visibleSize}-${shape.hiddenSize} model has ${n.toLocaleString('en-US')} parameters, and ${optimizer} keeps ` +
        `${vectorsHeld(optimizer)} vectors of them (${formatBytes(bytes)}); this machine can spare ${formatBytes(available)}`,
      ['hidden'],
    );
  }
}
