// The organization id of the org Meridian's Salesforce credentials belong to, so that Outbound
// Messages (which are not signed) from any other org are refused. A password login returns it
// with the session; a configured session token does not, so it is asked of the identity service
// (jsforce conn.identity(): the REST resources list names the identity URL, which answers
// organization_id). https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_openid.htm
// Learned on first use and kept; while Salesforce cannot answer, callers get an error (the
// webhook answers 503 and Salesforce re-sends) and the next attempt waits retryAfterMs.
import type { Connection } from 'jsforce';
import { toSalesforceId18 } from './schema.ts';

/** The org id cannot be learned now (Salesforce unreachable, or an answer without one). */
export class OrganizationUnknownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OrganizationUnknownError';
  }
}

/** Resolves to the org's 18-char id, or rejects with OrganizationUnknownError. */
export type OrganizationIdSource = () => Promise<string>;

export interface LearnOrganizationOptions {
  /** What a login already told (a password login's answer names the org), read at every call: when it answers, no call is made. */
  known?: () => string | null;
  /** How long a failed attempt is remembered before Salesforce is asked again (default 5 s). */
  retryAfterMs?: number;
  /** An attempt that has not answered by then fails (default 10 s). */
  timeoutMs?: number;
  now?: () => number;
}

export function learnOrganizationId(connect: () => Promise<Connection>, options: LearnOrganizationOptions = {}): OrganizationIdSource {
  const retryAfterMs = options.retryAfterMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const known = (): string | null => {
    const id = options.known?.();
    return id ? toSalesforceId18(id) : null;
  };
  let learned: Promise<string> | null = null;
  let failedAt = -Infinity;

  const ask = async (): Promise<string> => {
    const conn = await connect();
    // Connecting may have been the login that tells it.
    const id = known() ?? conn.userInfo?.organizationId ?? (await conn.identity()).organization_id;
    const id18 = typeof id === 'string' ? toSalesforceId18(id) : null;
    if (!id18) throw new Error(`the identity service answered no valid organization id (${JSON.stringify(id)})`);
    return id18;
  };
  const attempt = (): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([ask(), timeout])
      .catch((e: unknown) => {
        failedAt = now();
        learned = null;
        throw new OrganizationUnknownError(`could not learn the Salesforce organization id: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => clearTimeout(timer));
  };
  return () => {
    const id = known();
    if (id) return Promise.resolve(id);
    if (learned) return learned;
    if (now() - failedAt < retryAfterMs) return Promise.reject(new OrganizationUnknownError('the Salesforce organization id is not known yet (Salesforce did not answer); try again shortly'));
    learned = attempt();
    return learned;
  };
}
