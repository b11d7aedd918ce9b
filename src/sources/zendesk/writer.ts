// Writes to Zendesk organizations: https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/#update-organization
// PUT /organizations/{id}.json with `{ organization: {...} }` through node-zendesk's transport
// (`_rawRequest`), as the reader does: the SDK's resource methods return a 429 as a result
// without its Retry-After, which the outbox needs to wait as long as Zendesk asked.
import type { RecordWriter } from '../contract.ts';
import { nestPaths } from '../../sync/writer.ts';
import { SourceRateLimitedError, SourceUnavailableError } from '../errors.ts';
import type { ZendeskClient } from './client.ts';

interface RawAnswer { response?: { status?: number; headers?: { get?(name: string): string | null } }; result?: unknown }

const describe = (body: unknown): string => {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as { error?: unknown; description?: unknown };
  return [b.error, b.description].filter((x): x is string => typeof x === 'string').join(': ');
};

export function createZendeskWriter(client: ZendeskClient, endpointUri: string, options: { now?: () => Date } = {}): RecordWriter {
  const now = options.now ?? (() => new Date());
  const endpoint = endpointUri.replace(/\/+$/, '');
  return {
    system: 'zendesk',
    write: async (record, changes) => {
      if (!/^[1-9]\d{0,15}$/.test(record.id)) throw new SourceUnavailableError('zendesk', `not a Zendesk organization id: ${record.id}`, { status: 400 });
      let answer: RawAnswer;
      try {
        answer = (await client.organizations._rawRequest('PUT', `${endpoint}/organizations/${record.id}.json`, { organization: nestPaths(changes) }));
      } catch (e) {
        throw new SourceUnavailableError('zendesk', `Zendesk unreachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const status = answer.response?.status ?? 0;
      if (status >= 200 && status < 300) return;
      const retryAfter = answer.response?.headers?.get?.('retry-after') ?? null;
      const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
      const upstream = describe(answer.result);
      if (status === 429) throw new SourceRateLimitedError('zendesk', `Zendesk rate limit (429)${seconds === null ? '' : `, retry after ${seconds}s`}`, seconds, now(), { status, upstreamCode: upstream || null });
      throw new SourceUnavailableError('zendesk', `Zendesk answered ${status}${upstream ? ` (${upstream})` : ''}`, { status, upstreamCode: upstream || null, retryAfterSeconds: seconds });
    },
  };
}
