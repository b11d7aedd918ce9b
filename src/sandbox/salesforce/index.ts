// The Salesforce REST API emulator: what jsforce (and so Meridian's connector) talks to in
// the sandbox. See docs/sandbox/salesforce.md for what is and is not emulated.
import { salesforceId } from '../kit/ids.ts';
import { WebhookNotifier } from '../kit/notifier.ts';
import { startEmulator, type Emulator } from '../kit/server.ts';
import type { SalesforceData } from '../world/types.ts';
import { DEFAULT_OUTBOUND_RETRY_DELAYS_MS, OutboundMessenger, isOutboundAck } from './outbound.ts';
import { buildRouter, salesforceFaultStyle, type RouteContext } from './routes.ts';
import { TRACKED_OBJECTS } from './schema.ts';
import { SessionRegistry } from './sessions.ts';
import { SalesforceStore } from './store.ts';

export { SalesforceStore, type ChangeEvent, type SfRecord } from './store.ts';
export { SfApiError } from './errors.ts';
export { OUTBOUND_NAMESPACE, isOutboundAck } from './outbound.ts';
export { OBJECTS, type SObjectName } from './schema.ts';

export interface SalesforceEmulatorOptions {
  data: SalesforceData;
  /** Default 0 (ephemeral); the CLI passes 4401. */
  port?: number;
  host?: string;
  /** Supported API versions, oldest first; default 50.0 … 62.0. */
  apiVersions?: string[];
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  /** Query page size (default 2000). A `Sforce-Query-Options: batchSize=N` header (200…2000) overrides it per query. */
  pageSize?: number;
  /** Where outbound messages go; null or absent sends none (settable later over /__sandbox/webhooks). */
  outboundMessageUrl?: string | null;
  outboundRetryDelaysMs?: number[];
  now?: () => Date;
  /** The 24-hour API request allowance shown in `Sforce-Limit-Info` (default 15000). */
  dailyApiLimit?: number;
  /** Answer 403 REQUEST_LIMIT_EXCEEDED once the allowance is used up (default false). */
  enforceDailyApiLimit?: boolean;
  /** Status of injected rate limits: 403 as Salesforce sends (default) or 429. */
  rateLimitStatus?: 403 | 429;
  faultSeed?: number;
  /**
   * Fields this org does not have, as `Object.Field`: describe leaves them out, SOQL and writes
   * refuse them (INVALID_FIELD). `['Account.Stripe_Customer_Id__c', …]` is an org without
   * Meridian's custom fields.
   */
  omitFields?: readonly string[];
}

export interface SalesforceCredentials {
  /** OAuth token endpoint base (jsforce `loginUrl`). */
  loginUrl: string;
  /** jsforce `instanceUrl` when connecting with a token. */
  instanceUrl: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  /** A pre-issued session that never expires, for instanceUrl + accessToken set-ups. */
  accessToken: string;
  /** The newest supported API version. */
  apiVersion: string;
}

export interface SalesforceEmulator extends Emulator {
  readonly credentials: SalesforceCredentials;
  readonly orgId: string;
  /** The integration user (owner of new records, subject of the identity URL). */
  readonly userId: string;
  /** In-process access to the org's records; writes here send outbound messages too. */
  readonly store: SalesforceStore;
  /** Mints a fresh valid access token. */
  issueAccessToken(): string;
  /** Invalidates every minted access token (not the static one), as a session timeout would. */
  expireSessions(): void;
  /** Sends pending outbound messages now and resolves when none is queued or in flight. */
  outboundIdle(): Promise<void>;
}

export const DEFAULT_API_VERSIONS: readonly string[] = Array.from({ length: 13 }, (_, i) => `${50 + i}.0`);

export async function startSalesforceEmulator(opts: SalesforceEmulatorOptions): Promise<SalesforceEmulator> {
  const now = opts.now ?? ((): Date => new Date());
  const clientId = opts.clientId ?? 'meridian-sandbox';
  const clientSecret = opts.clientSecret ?? 'sandbox-secret';
  const username = opts.username ?? 'integration@meridian.sandbox';
  const password = opts.password ?? 'sandbox';
  const apiVersions = opts.apiVersions && opts.apiVersions.length > 0 ? [...opts.apiVersions] : [...DEFAULT_API_VERSIONS];
  const pageSize = Math.max(1, Math.floor(opts.pageSize ?? 2000));

  const store = new SalesforceStore(opts.data, {
    now,
    integrationUser: { Id: salesforceId('005', 9_999_999), Name: 'Meridian Integration', Email: username, Username: username },
    ...(opts.omitFields ? { omitFields: opts.omitFields } : {}),
  });
  const sessions = new SessionRegistry(store.orgId);
  const notifier = new WebhookNotifier({
    sign: () => ({}),
    retryDelaysMs: opts.outboundRetryDelaysMs ?? DEFAULT_OUTBOUND_RETRY_DELAYS_MS,
    accepted: isOutboundAck,
  });
  if (opts.outboundMessageUrl) notifier.setTarget(opts.outboundMessageUrl);

  let baseUrl = '';
  const ctx: RouteContext = {
    store,
    sessions,
    orgId: store.orgId,
    userId: store.integrationUserId,
    clientId,
    clientSecret,
    username,
    password,
    apiVersions,
    pageSize,
    dailyApiLimit: opts.dailyApiLimit ?? 15_000,
    enforceDailyApiLimit: opts.enforceDailyApiLimit ?? false,
    rateLimitStatus: opts.rateLimitStatus ?? 403,
    now,
    baseUrl: () => baseUrl,
  };
  const router = buildRouter(ctx);
  const emulator = await startEmulator({
    name: 'salesforce',
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    port: opts.port ?? 0,
    router,
    faultStyle: salesforceFaultStyle(ctx, router),
    notifier,
    ...(opts.faultSeed !== undefined ? { faultSeed: opts.faultSeed } : {}),
    describeState: () => ({
      orgId: store.orgId,
      ...Object.fromEntries(TRACKED_OBJECTS.map((t) => [t, { live: store.count(t), deleted: store.count(t, { includeDeleted: true }) - store.count(t) }])),
      changes: store.changes().length,
    }),
  });
  baseUrl = emulator.url;
  const apiVersion = apiVersions[apiVersions.length - 1]!;

  const outbound = new OutboundMessenger(notifier, { orgId: store.orgId, baseUrl: emulator.url, apiVersion, hasField: (type, name) => store.hasField(type, name) });
  const unsubscribe = store.onChange((e) => outbound.push(e));

  return {
    name: emulator.name,
    url: emulator.url,
    port: emulator.port,
    faults: emulator.faults,
    requests: emulator.requests,
    notifier: emulator.notifier,
    credentials: {
      loginUrl: emulator.url,
      instanceUrl: emulator.url,
      clientId,
      clientSecret,
      username,
      password,
      accessToken: sessions.staticAccessToken,
      apiVersion,
    },
    orgId: store.orgId,
    userId: store.integrationUserId,
    store,
    issueAccessToken: () => sessions.issueAccessToken(),
    expireSessions: () => sessions.expireAccessTokens(),
    outboundIdle: async () => {
      outbound.flush();
      await notifier.idle();
    },
    close: async () => {
      unsubscribe();
      outbound.close();
      await emulator.close();
    },
  };
}
