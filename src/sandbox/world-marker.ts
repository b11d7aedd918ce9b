// Which demo world a piece of stored data belongs to. The generator is deterministic (the same
// seed, size, "now" and generator version give the same records with the same ids), so this
// small marker stands for the whole world: the ERP schema and Meridian's store both record it,
// and a start with another world is refused instead of mixing the two.
// Kept free of heavy imports: the CLI loads it to recognise its error.
import { z } from 'zod';

export const worldMarkerSchema = z.object({
  seed: z.number().int(),
  customers: z.number().int(),
  now: z.string(),
  generator: z.number().int(),
});
export type WorldMarker = z.infer<typeof worldMarkerSchema>;

export function sameWorld(a: WorldMarker, b: WorldMarker): boolean {
  return a.seed === b.seed && a.customers === b.customers && a.now === b.now && a.generator === b.generator;
}

export function describeWorld(m: WorldMarker, current?: WorldMarker): string {
  const base = `seed ${m.seed} and ${m.customers.toLocaleString('en-US')} customers`;
  // Name the less usual differences only when they are what differs.
  const extra: string[] = [];
  if (!current || current.now !== m.now) extra.push(`generated as of ${m.now}`);
  if (!current || current.generator !== m.generator) extra.push(`generator version ${m.generator}`);
  return current && extra.length === 0 ? base : `${base} (${extra.join(', ')})`;
}

/**
 * Stored data belongs to another world, or to something the sandbox did not create: nothing
 * was changed. The message is one line saying what is there and what to do.
 */
export class SandboxWorldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxWorldError';
  }
}
