// Request parameters as Stripe reads them: form-encoded bodies for POST, the query string for
// GET and DELETE, both qs-style (`metadata[k]=v`, `expand[0]=x`, `created[gte]=…`).
// stripe-node sends `null` as an empty string, which Stripe reads as "unset".
// https://docs.stripe.com/api/request_ids (encoding) · https://docs.stripe.com/api/metadata
import qs from 'qs';
import { invalidRequest, missingParameter, unknownParameter } from './errors.ts';

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export function parseForm(text: string): FormObject {
  if (text.trim() === '') return {};
  // plainObjects: no prototype to pollute; a generous arrayLimit keeps `expand[25]` an array.
  const parsed: unknown = qs.parse(text, { depth: 8, arrayLimit: 200, parameterLimit: 5_000, plainObjects: true });
  return toFormObject(parsed);
}

function toFormValue(v: unknown): FormValue {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toFormValue);
  if (typeof v === 'object' && v !== null) return toFormObject(v);
  return String(v);
}

function toFormObject(v: unknown): FormObject {
  const out: FormObject = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, x] of Object.entries(v)) out[k] = toFormValue(x);
  return out;
}

/** How a value looked to Stripe's Ruby backend in its "Invalid string: …" messages. */
function describe(v: FormValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export interface RangeFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/**
 * A reader over one level of parameters that remembers what the handler asked for, so that
 * whatever is left over can be reported as `parameter_unknown`, the way Stripe does.
 */
export class Params {
  readonly #raw: FormObject;
  readonly #prefix: string;
  readonly #used = new Set<string>();
  readonly #children = new Map<string, Params>();

  constructor(raw: FormObject, prefix = '') {
    this.#raw = raw;
    this.#prefix = prefix;
  }

  name(key: string): string {
    return this.#prefix === '' ? key : `${this.#prefix}[${key}]`;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#raw, key);
  }

  keys(): string[] {
    return Object.keys(this.#raw);
  }

  /** Marks a key as understood without reading it. */
  accept(key: string): void {
    this.#used.add(key);
  }

  /** A string; `''` becomes null where the field is nullable ("unset"). */
  string(key: string, opts: { nullable?: boolean; required?: boolean; maxLength?: number } = {}): string | null | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) {
      if (opts.required) throw missingParameter(this.name(key));
      return undefined;
    }
    if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${describe(v)}`, { param: this.name(key) });
    if (v === '' && opts.nullable) return null;
    if (v === '' && opts.required) {
      throw invalidRequest(`You passed an empty string for '${this.name(key)}'. We assume empty values are an attempt to unset a parameter; however '${this.name(key)}' cannot be unset. You should remove '${this.name(key)}' from your request or supply a non-empty value.`, { code: 'parameter_invalid_empty', param: this.name(key) });
    }
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      throw invalidRequest(`Invalid string: ${v.slice(0, 20)}...; must be at most ${opts.maxLength} characters`, { param: this.name(key) });
    }
    return v;
  }

  integer(key: string, opts: { min?: number; max?: number; nullable?: boolean } = {}): number | null | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) return undefined;
    if (v === '' && opts.nullable) return null;
    const param = this.name(key);
    if (typeof v !== 'string' || !/^-?\d+$/.test(v.trim())) {
      throw invalidRequest(`Invalid integer: ${describe(v)}`, { code: 'parameter_invalid_integer', param });
    }
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n)) throw invalidRequest(`Invalid integer: ${v}`, { code: 'parameter_invalid_integer', param });
    if (opts.min !== undefined && n < opts.min) {
      throw invalidRequest(`This value must be greater than or equal to ${opts.min}.`, { code: 'parameter_invalid_integer', param });
    }
    if (opts.max !== undefined && n > opts.max) {
      throw invalidRequest(`This value must be less than or equal to ${opts.max}.`, { code: 'parameter_invalid_integer', param });
    }
    return n;
  }

  boolean(key: string): boolean | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalidRequest(`Invalid boolean: ${describe(v)}`, { param: this.name(key) });
  }

  /** A nested hash; `''` means "unset the whole hash" and gives null. */
  object(key: string): Params | null | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) return undefined;
    if (v === '') return null;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidRequest('Invalid hash', { param: this.name(key) });
    const child = new Params(v, this.name(key));
    this.#children.set(key, child);
    return child;
  }

  /** A list of strings; a lone string counts as a list of one, as Stripe's parser allows. */
  stringList(key: string): string[] | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) return undefined;
    const items = typeof v === 'string' ? [v] : Array.isArray(v) ? v : Object.values(v);
    return items.map((item, i) => {
      if (typeof item !== 'string') throw invalidRequest(`Invalid string: ${describe(item)}`, { param: `${this.name(key)}[${i}]` });
      return item;
    });
  }

  /** A flat string → string hash such as metadata; values may be '' (meaning "unset"). */
  stringMap(key: string): Record<string, string> | null | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) return undefined;
    if (v === '') return null;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidRequest('Invalid hash', { param: this.name(key) });
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') throw invalidRequest(`Invalid string: ${describe(x)}`, { param: `${this.name(key)}[${k}]` });
      out[k] = x;
    }
    return out;
  }

  /** `created=123` or `created[gte]=…&created[lt]=…`, as the list endpoints take them. */
  range(key: string): RangeFilter | undefined {
    this.#used.add(key);
    const v = this.#raw[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') {
      const exact = this.integer(key);
      return exact === undefined || exact === null ? undefined : { gte: exact, lte: exact };
    }
    const child = this.object(key);
    if (!child) return undefined;
    const out: RangeFilter = {};
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      const n = child.integer(op);
      if (typeof n === 'number') out[op] = n;
    }
    return out;
  }

  /** Throws `parameter_unknown` for the first parameter nobody asked for (depth-first). */
  assertNoUnknown(): void {
    for (const key of Object.keys(this.#raw)) {
      if (!this.#used.has(key)) throw unknownParameter(this.name(key));
      this.#children.get(key)?.assertNoUnknown();
    }
  }
}

export function inRange(value: number, r: RangeFilter | undefined): boolean {
  if (!r) return true;
  if (r.gt !== undefined && !(value > r.gt)) return false;
  if (r.gte !== undefined && !(value >= r.gte)) return false;
  if (r.lt !== undefined && !(value < r.lt)) return false;
  if (r.lte !== undefined && !(value <= r.lte)) return false;
  return true;
}
