// Per-system settings (CONTRACT.md § Environment), each read by its system's own schema
// (src/sources/<system>/settings.ts, listed by the registry). A system with no settings at all
// is absent; a system with some but not all of what it needs is a configuration error that
// names the missing variables, every system's problems together.
import { SYSTEM_DESCRIPTORS, type SystemSettings } from '../sources/registry.ts';
import { ConfigError } from './env.ts';

export type { SystemSettings };

type Env = Record<string, string | undefined>;

export function readSystemSettings(env: Env): SystemSettings {
  const problems: string[] = [];
  const settings: Record<string, unknown> = {};
  for (const d of SYSTEM_DESCRIPTORS) {
    const parsed = d.settings.safeParse(env);
    if (parsed.success) settings[d.id] = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => i.message));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings as SystemSettings;
}

/** No system configured. */
export function noSystemSettings(): SystemSettings {
  return Object.fromEntries(SYSTEM_DESCRIPTORS.map((d) => [d.id, null])) as SystemSettings;
}
