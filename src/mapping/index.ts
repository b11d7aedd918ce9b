export { DEFAULT_SPEC_PATH, FieldSpecError, loadFieldSpec, parseFieldSpec } from './spec.ts';
export type { ConflictClass, ConflictPolicy, FieldDef, FieldSpec, FieldSpecIssue, SourcePath, SourceSpec, Survivorship, WriteTarget } from './spec.ts';
export { COMPARATORS, COMPARATOR_NAMES, FIELD_TYPES, NAMED_RULES, NAMED_RULE_NAMES, NORMALIZERS, NORMALIZER_NAMES, WRITE_FORMATS, WRITE_FORMAT_NAMES } from './catalog.ts';
export type { ComparatorName, FieldType, NamedRuleName, NormalizerInfo, NormalizerName, WriteFormatInfo, WriteFormatName } from './catalog.ts';
export { getPath, isPath, parsePath } from './paths.ts';
export type { PathStep } from './paths.ts';
