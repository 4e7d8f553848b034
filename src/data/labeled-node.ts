/**
 * MNIST's image and label idx files (gzipped or not) read from disk as one labeled data set.
 * The digits embedded in the `mnist` package are loadMnistDigits in ./mnist-node.ts.
 */
import { readLabeledIdx } from './labeled';
import type { LabeledDataset } from './mnist';
import { readFileBytes } from './node';

/** An images file and its labels file, e.g. t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz. */
export async function loadLabeledIdxFiles(imagesPath: string, labelsPath: string): Promise<LabeledDataset> {
  const images = await readFileBytes(imagesPath); // one after the other: a missing file is always reported the same way
  const labels = await readFileBytes(labelsPath);
  return readLabeledIdx(images, labels, { images: imagesPath, labels: labelsPath });
}
