export { mergeGoldenRecord } from './merge.ts';
export type { Candidate, Conflict, FieldLineage, GoldenRecord, MergeOptions } from './types.ts';
