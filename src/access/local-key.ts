// The embedded default's admin key: made once in MERIDIAN_DATA_DIR (file mode 0600), reused on
// every start, printed in the start banner, so `npm start` stays the only step to a working
// gateway and explorer. Only the sandbox uses it; a real deployment has its own keys or tokens.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY_PATTERN, generateApiKey } from './api-key.ts';
import { StartupError } from '../server/startup.ts';

export const LOCAL_KEY_FILE = 'admin.key';

/** The key in `<dataDir>/admin.key`, made there first if it is not. */
export function ensureLocalAdminKey(dataDir: string): { key: string; path: string; created: boolean } {
  const path = join(dataDir, LOCAL_KEY_FILE);
  let existing: string | null = null;
  try {
    existing = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StartupError(`MERIDIAN_DATA_DIR: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (existing !== null) {
    if (!API_KEY_PATTERN.test(existing)) throw new StartupError(`MERIDIAN_DATA_DIR: ${path} does not hold an API key; delete it and a new one is made at the next start`);
    // Someone widened it: a key readable by other users of the machine is not kept that way.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { key: existing, path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = generateApiKey();
  // 'wx': never overwrite a key another start wrote meanwhile (the data directory lock makes that rare).
  writeFileSync(path, key + '\n', { mode: 0o600, flag: 'wx' });
  return { key, path, created: true };
}

export function readLocalAdminKey(dataDir: string): string {
  return readFileSync(join(dataDir, LOCAL_KEY_FILE), 'utf8').trim();
}
