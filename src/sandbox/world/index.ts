// The demo world the sandbox emulators are seeded with, and its ground truth.
export { generateWorld, RATES, WORLD_GENERATOR_VERSION } from './generate.ts';
export type * from './types.ts';
