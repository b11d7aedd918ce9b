// The demo world the sandbox emulators are seeded with, and its ground truth.
export { generateWorld, RATES } from './generate.ts';
export type * from './types.ts';
