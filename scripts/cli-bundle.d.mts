export const BUNDLE_FOLDER: string;
export const BUNDLE_VARIABLE: string;
export function bundleCommand(command: 'train' | 'classify' | 'gradcheck' | 'pca', env?: NodeJS.ProcessEnv): Promise<string | undefined>;
