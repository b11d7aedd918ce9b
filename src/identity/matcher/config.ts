// The matcher configuration: which columns make which fields, how each field is normalized and
// compared (its comparison levels, most similar first), how records are blocked into candidate
// pairs, and the thresholds that turn a match probability into a decision. Parsed once with zod
// where it enters (a JSON file); the engine trusts the parsed value.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isPhoneRegion } from '../../normalize/phone.ts';

const FieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a field name is letters, digits and _, not starting with a digit');
const Probability = z.number().gt(0).lt(1);

/** How a column's text becomes the value compared. Each maps to a function of src/normalize. */
// `phoneExtension`: E.164 and the extension (`+16175550100 x204`), for people: colleagues share a
// main line and differ in their extensions. `phone` drops the extension (a company's number).
export const NORMALIZERS = [
  'text', 'personName', 'givenName', 'digits', 'date', 'postcode', 'email', 'phone', 'phoneExtension', 'companyName', 'domain', 'companyDomain', 'street', 'country', 'raw',
] as const;
export type NormalizerName = (typeof NORMALIZERS)[number];

/**
 * One comparison level: a test on a pair of values. A pair takes the first level whose test
 * passes; a pair with either value missing takes the null level (no evidence either way), and a
 * pair that passes none takes the "else" level.
 */
export const LevelSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('exact') }),
  /** Given names of one family: "bob" / "robert" (src/normalize/nicknames.ts). */
  z.strictObject({ type: z.literal('nickname') }),
  z.strictObject({ type: z.literal('jaroWinkler'), min: z.number().gt(0).lte(1) }),
  /** Edit distance at most `max`; with `transpositions` (default) a swap of adjacent characters costs 1. */
  z.strictObject({ type: z.literal('levenshtein'), max: z.int().min(1).max(16), transpositions: z.boolean().default(true) }),
  z.strictObject({ type: z.literal('soundex') }),
  /** Jaccard similarity of the two values' word sets at least `min`. */
  z.strictObject({ type: z.literal('tokenSet'), min: z.number().gt(0).lte(1) }),
  /**
   * The values (e-mail addresses, space-separated) share a domain that is not a free-mail
   * provider's: different people at one company. Put it after the levels that compare addresses.
   */
  z.strictObject({ type: z.literal('emailDomain') }),
  /** This field of one record equals field `with` of the other, both ways (given name and surname swapped). */
  z.strictObject({ type: z.literal('swapped'), with: FieldName }),
  /** Dates with day and month swapped (same year): 1990-03-04 / 1990-04-03. Date fields only. */
  z.strictObject({ type: z.literal('dateTransposed') }),
  /** Dates at most `days` apart. Date fields only. */
  z.strictObject({ type: z.literal('dateWithin'), days: z.int().min(0) }),
  /** Numbers at most `abs` apart. */
  z.strictObject({ type: z.literal('numericWithin'), abs: z.number().min(0) }),
  /** The first `length` characters agree. */
  z.strictObject({ type: z.literal('prefix'), length: z.int().min(1) }),
]);
export type LevelConfig = z.infer<typeof LevelSchema>;

export const FieldSchema = z.strictObject({
  name: FieldName,
  /** Input columns; several are joined with a space (street number and street name). */
  columns: z.array(z.string().min(1)).min(1),
  normalize: z.enum(NORMALIZERS).default('text'),
  /** How `date` reads "03/04/1990". */
  dateOrder: z.enum(['DMY', 'MDY', 'YMD']).default('DMY'),
  /** For `phone` and `phoneExtension`: the region of numbers written without a country code. */
  phoneRegion: z
    .string()
    .refine(isPhoneRegion, 'must be an ISO 3166-1 alpha-2 country code with a numbering plan, such as US, GB or DE')
    .default('US'),
  levels: z.array(LevelSchema).min(1).max(12),
  /**
   * Weight an exact agreement by how rare the value is (term-frequency adjustment): two records
   * sharing "sondergeld" say more than two sharing "smith".
   */
  termFrequency: z.boolean().default(false),
  /**
   * Fields that change together (the parts of an address: a move changes them all) share a group
   * name; their m probabilities are estimated from the other fields' evidence, so one move does
   * not count as several independent contradictions (model.ts, leaveGroupOutM).
   */
  group: FieldName.optional(),
  /**
   * The field describes what a record belongs to, which different entities share: a contact's
   * company and its address (colleagues have the same). EM then learns who matches from the other
   * fields only, and this field's m is the frequency of its levels among the pairs those fields
   * call one entity (model.ts, expectationMaximisation `context`). Without it, a file of people at
   * companies taught EM that colleagues are matches.
   */
  context: z.boolean().default(false),
});
export type FieldConfig = z.infer<typeof FieldSchema>;

export const BLOCKING_TRANSFORMS = ['value', 'soundex', 'nickname', 'prefix', 'suffix', 'year'] as const;
export const BlockingKeySchema = z.strictObject({
  field: FieldName,
  transform: z.enum(BLOCKING_TRANSFORMS).default('value'),
  /** For `prefix` / `suffix`: how many characters. */
  length: z.int().min(1).optional(),
});
export const BlockingRuleSchema = z.strictObject({ name: z.string().min(1), keys: z.array(BlockingKeySchema).min(1) });
export type BlockingRuleConfig = z.infer<typeof BlockingRuleSchema>;

export const MatcherConfigSchema = z
  .strictObject({
    version: z.literal(1),
    /** The column that holds each record's id. */
    id: z.string().min(1),
    csv: z.strictObject({ delimiter: z.string().length(1).default(','), trim: z.boolean().default(true) }).prefault({}),
    fields: z.array(FieldSchema).min(1).max(24),
    blocking: z
      .strictObject({
        rules: z.array(BlockingRuleSchema).min(1),
        /**
         * A block (records sharing one key of one rule) that would make more pairs than this is
         * skipped and reported: a key that common (a blank-ish value, "smith") costs quadratic
         * time and says little. Keeps the cost about linear in the records.
         */
        maxBlockPairs: z.int().min(1).default(250_000),
      }),
    em: z
      .strictObject({
        maxIterations: z.int().min(1).default(100),
        /** Stop when no m or u probability moves more than this in one iteration. */
        tolerance: z.number().gt(0).default(1e-6),
        /** Random pairs compared to estimate u (how often non-matches agree by chance). */
        randomPairs: z.int().min(1000).default(1_000_000),
        seed: z.int().default(1),
      })
      .prefault({}),
    thresholds: z.strictObject({
      /** At or above this match probability a pair is linked. */
      link: Probability,
      /** At or above this (and below `link`) a pair goes to a person. Below it, the records stay apart. */
      review: Probability,
    }),
    clustering: z
      .strictObject({
        /** Refuse a merge of two multi-record clusters that other members' scores contradict (docs/matching.md). */
        guard: z.boolean().default(true),
      })
      .prefault({}),
    /** For `--truth ids`: a regex whose first group is the true entity of a record id (Febrl: `^rec-(\d+)-`). */
    truth: z.strictObject({ idPattern: z.string().min(1) }).optional(),
  })
  .superRefine((c, ctx) => {
    const names = new Map(c.fields.map((f, i) => [f.name, i] as const));
    if (names.size !== c.fields.length) {
      c.fields.forEach((f, i) => {
        if (names.get(f.name) !== i) ctx.addIssue({ code: 'custom', path: ['fields', i, 'name'], message: `duplicate field name "${f.name}"` });
      });
    }
    c.fields.forEach((f, i) =>
      f.levels.forEach((l, j) => {
        if (l.type === 'swapped' && !names.has(l.with)) {
          ctx.addIssue({ code: 'custom', path: ['fields', i, 'levels', j, 'with'], message: `no field named "${l.with}"` });
        }
        if ((l.type === 'dateTransposed' || l.type === 'dateWithin') && f.normalize !== 'date') {
          ctx.addIssue({ code: 'custom', path: ['fields', i, 'levels', j, 'type'], message: `${l.type} needs a field with "normalize": "date"` });
        }
      }),
    );
    if (c.fields.length > 0 && c.fields.every((f) => f.context)) {
      ctx.addIssue({ code: 'custom', path: ['fields'], message: 'every field is context: at least one must tell entities apart' });
    }
    c.blocking.rules.forEach((r, i) =>
      r.keys.forEach((k, j) => {
        if (!names.has(k.field)) ctx.addIssue({ code: 'custom', path: ['blocking', 'rules', i, 'keys', j, 'field'], message: `no field named "${k.field}"` });
        if ((k.transform === 'prefix' || k.transform === 'suffix') && k.length === undefined) {
          ctx.addIssue({ code: 'custom', path: ['blocking', 'rules', i, 'keys', j, 'length'], message: `${k.transform} needs a length` });
        }
      }),
    );
    if (c.thresholds.review > c.thresholds.link) {
      ctx.addIssue({ code: 'custom', path: ['thresholds', 'review'], message: 'review must not be above link' });
    }
    if (c.truth !== undefined) {
      try {
        new RegExp(c.truth.idPattern);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['truth', 'idPattern'], message: `not a regular expression: ${(e as Error).message}` });
      }
    }
  });
export type MatcherConfig = z.infer<typeof MatcherConfigSchema>;
export type MatcherConfigInput = z.input<typeof MatcherConfigSchema>;

export interface ConfigIssue {
  /** JSON path into the config: `fields[2].levels[0].min`. */
  path: string;
  message: string;
}

export class MatcherConfigError extends Error {
  override readonly name = 'MatcherConfigError';
  readonly code = 'BAD_MATCHER_CONFIG';
  readonly source: string;
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(`invalid matcher config ${source}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.source = source;
    this.issues = issues;
  }
}

function jsonPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(root)' : s;
}

/** The parsed config, or a MatcherConfigError listing every problem with its JSON path. */
export function parseMatcherConfig(raw: unknown, source = 'config'): MatcherConfig {
  const r = MatcherConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  throw new MatcherConfigError(source, r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
}

/** The default configuration for Febrl-shaped files (configs/febrl.json). */
export const FEBRL_CONFIG_URL = new URL('./configs/febrl.json', import.meta.url);

/** Read and validate a config file; bad JSON is a MatcherConfigError too. */
export async function loadMatcherConfig(path: string | URL = FEBRL_CONFIG_URL): Promise<MatcherConfig> {
  const source = path instanceof URL ? path.pathname : path;
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MatcherConfigError(source, [{ path: '(root)', message: `not JSON: ${(e as Error).message}` }]);
  }
  return parseMatcherConfig(json, source);
}
