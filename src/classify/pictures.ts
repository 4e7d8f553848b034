/**
 * Pictures of a classification run, for the CLI's PNGs and the page's canvases:
 * - each autoencoder layer's features, W(j,:)/‖W(j,:)‖ as images. A second layer's unit reads
 *   the first layer's units, not pixels, so it is drawn as the linear combination of layer-1
 *   features it weighs: row k of W2·W1 (a common first look at deeper units; the sigmoid in
 *   between is ignored).
 * - the confusion matrix as shaded cells, darker for a larger share of the true class's row.
 */
import { displayFeatures, displayNetwork, featureImages, type NetworkImage, type TileSize } from '../display/network';
import { thetaLayout, type Shape } from '../reference/params';

/** An autoencoder θ whose W1 block holds W2·W1 (hidden₂ × visible): layer 2's units in pixels. */
export function composedFeatureTheta(first: { theta: Float64Array; shape: Shape }, second: { theta: Float64Array; shape: Shape }): { theta: Float64Array; shape: Shape } {
  const v = first.shape.visibleSize;
  const h1 = first.shape.hiddenSize;
  const h2 = second.shape.hiddenSize;
  if (second.shape.visibleSize !== h1) throw new RangeError(`layer 2 reads ${second.shape.visibleSize} values; layer 1 gives ${h1}`);
  const shape = { visibleSize: v, hiddenSize: h2 };
  const theta = new Float64Array(thetaLayout(shape).length);
  // W1(j, i) is first.theta[i·h1 + j]; W2(k, j) is second.theta[j·h2 + k]; out W(k, i) at [i·h2 + k].
  for (let i = 0; i < v; i++) {
    for (let j = 0; j < h1; j++) {
      const w1 = first.theta[i * h1 + j];
      if (w1 === 0) continue;
      for (let k = 0; k < h2; k++) theta[i * h2 + k] += second.theta[j * h2 + k] * w1;
    }
  }
  return { theta, shape };
}

/** The features of each layer, first layer first, as display_network pictures. */
export function layerFeatures(autoencoders: readonly { theta: Float64Array; shape: Shape }[], tile?: TileSize): NetworkImage[] {
  return autoencoders.map((layer, l) => {
    if (l === 0) return displayFeatures(layer.theta, layer.shape, tile);
    let composed = autoencoders[0];
    for (let k = 1; k <= l; k++) composed = composedFeatureTheta(composed, autoencoders[k]);
    return displayNetwork(featureImages(composed.theta, composed.shape, tile));
  });
}

/** The confusion matrix [true][predicted] as cells of `cell` pixels: black is a whole row's share. */
export function confusionImage(confusion: readonly (readonly number[])[], cell = 12): NetworkImage {
  const k = confusion.length;
  const width = k * cell;
  const values = new Float32Array(width * width);
  for (let t = 0; t < k; t++) {
    const total = confusion[t].reduce((a, b) => a + b, 0);
    for (let p = 0; p < k; p++) {
      const share = total > 0 ? confusion[t][p] / total : 0;
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          // A one-pixel light grid between cells.
          const edge = x === 0 || y === 0;
          values[(t * cell + y) * width + p * cell + x] = edge ? 0.6 : 1 - 2 * share;
        }
      }
    }
  }
  return { width, height: width, values };
}
