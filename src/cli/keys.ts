// `meridian keys create|list|revoke`: API keys in Meridian's Postgres (src/access/key-store.ts).
// `create` prints the key on stdout and nothing else there (KEY=$(npx meridian keys create …)
// captures it); what it is goes to stderr. No command ever shows a key again.
import type { KeyStore, ApiKeyRecord } from '../access/key-store.ts';

export interface KeysIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const day = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function table(records: readonly ApiKeyRecord[], withRevoked: boolean): string {
  const rows = [['ID', 'NAME', 'ROLE', 'CREATED', ...(withRevoked ? ['REVOKED'] : [])]];
  for (const r of records) rows.push([r.id, r.name, r.role, day(r.createdAt), ...(withRevoked ? [r.revokedAt ? day(r.revokedAt) : '-'] : [])]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export async function runKeysCommand(keys: KeyStore, sub: string, args: { name?: string; role?: string; target?: string; all?: boolean }, io: KeysIo): Promise<number> {
  switch (sub) {
    case 'create': {
      const { key, record } = await keys.create({ name: args.name ?? '', role: args.role ?? '' });
      io.stderr.write(`Created API key ${record.name} (${record.id}, role ${record.role}). It is shown once, below; send it as Authorization: Bearer <key>.\n`);
      io.stdout.write(`${key}\n`);
      return 0;
    }
    case 'list': {
      const records = await keys.list({ includeRevoked: args.all === true });
      if (records.length === 0) io.stderr.write(args.all ? 'No API keys.\n' : 'No API keys in use (--all shows revoked ones).\n');
      else io.stdout.write(table(records, args.all === true));
      return 0;
    }
    case 'revoke': {
      const record = await keys.revoke(args.target ?? '');
      io.stdout.write(`Revoked API key ${record.name} (${record.id}); gateways refuse it within 10 s.\n`);
      return 0;
    }
    default:
      throw new Error(`unknown keys subcommand ${sub}`);
  }
}
