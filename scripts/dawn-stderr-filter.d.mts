export const DAWN_WARNINGS: RegExp[];
export const HOLD_MS: number;
export function dawnStderrFilter(write: (text: string) => void, options?: { holdMs?: number }): { push(text: string): void; end(): void };
