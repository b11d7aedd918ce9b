// The ERP's settings (CONTRACT.md § Environment): its database (Postgres today; other dialects
// come with their drivers) and the schema holding its tables.
import { z } from 'zod';
import type { Env } from '../contract.ts';
import { envReader, isUrl } from '../settings.ts';

export interface ErpSettings {
  url: string;
  /** Schema holding the ERP's tables (default 'erp'). */
  schema: string;
}

export const erpSettings = z.custom<Env>().transform((env, ctx): ErpSettings | null => {
  const e = envReader(env, ctx);
  const url = e.get('ERP_DATABASE_URL');
  if (url === undefined) return null;
  if (!isUrl(url, ['postgres:', 'postgresql:', 'mysql:', 'mssql:', 'oracle:'])) {
    e.problem(`ERP_DATABASE_URL: must be a postgres://, mysql://, mssql:// or oracle:// URL (got ${JSON.stringify(url)})`);
  } else if (!isUrl(url, ['postgres:', 'postgresql:'])) {
    e.problem(`ERP_DATABASE_URL: only postgres:// is supported so far (got ${new URL(url).protocol}//)`);
  }
  const schema = e.get('ERP_SCHEMA') ?? 'erp';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) e.problem(`ERP_SCHEMA: must be a lower-case SQL identifier (got ${JSON.stringify(schema)})`);
  return { url, schema };
});
