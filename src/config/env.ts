// Configuration is read from the environment here and nowhere else, parsed once at start-up.
// Every bad variable is reported in one message, so a user fixes them all in one go.
import { z } from 'zod';
import { redact } from '../observability/redact.ts';

export const port = z.coerce.number().int().min(0).max(65_535);
export const url = (protocols: readonly string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

export const sandboxEnvSchema = z.object({
  SANDBOX_SALESFORCE_PORT: port.default(4401),
  SANDBOX_STRIPE_PORT: port.default(4402),
  SANDBOX_ZENDESK_PORT: port.default(4403),
  /** The ERP is a database schema; the sandbox puts an accounting/fault proxy in front of it. */
  SANDBOX_ERP_PORT: port.default(4406),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  MERIDIAN_DATA_DIR: z.string().min(1).default('.meridian'),
});

export type SandboxEnv = z.infer<typeof sandboxEnvSchema>;

/** Bad configuration: the command stops with this message and exit code 2. Values are redacted. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const clean = problems.map(redact);
    super(`Invalid configuration:\n${clean.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = clean;
  }
}

export function parseEnv<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  // Empty strings count as unset, as most deployment tools write them for "no value".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])])})`));
  }
  return result.data;
}

export function readSandboxEnv(env: Record<string, string | undefined> = process.env): SandboxEnv {
  return parseEnv(sandboxEnvSchema, env);
}

/** MERIDIAN_DEV_ERRORS=1: errors carry their stack traces (development only; they name source paths). */
export function devErrors(env: Record<string, string | undefined> = process.env): boolean {
  return env['MERIDIAN_DEV_ERRORS'] === '1';
}
