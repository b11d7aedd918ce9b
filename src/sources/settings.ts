// What every system's settings schema shares: reading the environment (an empty value is
// unset) and saying what is wrong with it, one problem per variable, as config/env.ts does.
import type { z } from 'zod';
import type { Env } from './contract.ts';

export interface EnvReader {
  /** The value, undefined when unset or empty. */
  get(name: string): string | undefined;
  /** Whether any of these is set: a system with none of its variables is not configured. */
  any(names: readonly string[]): boolean;
  /** Each of `names` that is unset is a problem "…: required when <system> is configured". */
  need(system: string, names: readonly string[]): void;
  /** A set value that is not a URL with one of these protocols is a problem. */
  url(name: string, protocols: readonly string[]): void;
  problem(message: string): void;
}

export const isUrl = (v: string, protocols: readonly string[]): boolean => {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

/** A reader over `env` whose problems become the zod issues of a settings schema. */
export function envReader(env: Env, ctx: z.core.$RefinementCtx): EnvReader {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const problem = (message: string): void => ctx.addIssue({ code: 'custom', message });
  return {
    get,
    any: (names) => names.some((n) => get(n) !== undefined),
    need: (system, names) => {
      const missing = names.filter((n) => get(n) === undefined);
      if (missing.length > 0) problem(`${missing.join(', ')}: required when ${system} is configured`);
    },
    url: (name, protocols) => {
      const v = get(name);
      if (v !== undefined && !isUrl(v, protocols)) problem(`${name}: must be a ${protocols.join(' or ')} URL (got ${JSON.stringify(v)})`);
    },
    problem,
  };
}
