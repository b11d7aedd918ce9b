// Zendesk Support API v2 emulator: close enough to the real API that node-zendesk works
// against it unchanged (`createClient({ username, token, endpointUri })`).
// What is and is not supported: docs/sandbox/zendesk.md.
import { startEmulator, type Emulator } from '../kit/server.ts';
import type { ZendeskData } from '../world/types.ts';
import { buildRouter, zendeskFaultStyle } from './routes.ts';
import { ZendeskStore } from './store.ts';
import { buildEvents, createZendeskNotifier, eventMessage } from './webhooks.ts';

export { ZendeskStore, ZendeskRecordInvalid, ZendeskRecordNotFound, zendeskTime } from './store.ts';
export type { StoredUser, ZdChange, ZdEntity, ZdFieldError } from './store.ts';
export { signZendeskWebhook, verifyZendeskWebhook, SANDBOX_ACCOUNT_ID } from './webhooks.ts';
export type { ZendeskEvent } from './webhooks.ts';

export const ZENDESK_SANDBOX_DEFAULTS = Object.freeze({
  email: 'integration@meridian.sandbox',
  apiToken: 'sandbox-token',
  webhookSecret: 'zendesk-sandbox-signing-secret',
  port: 4403,
});

export interface ZendeskEmulatorOptions {
  data: ZendeskData;
  /** Default 0 (ephemeral); the CLI passes 4403. */
  port?: number;
  host?: string;
  email?: string;
  apiToken?: string;
  webhookSecret?: string;
  /** Where change events are POSTed; null or absent sends none until set. */
  webhookUrl?: string | null;
  /** Delays before each webhook retry; default [1000, 5000, 15000]. */
  webhookRetryDelaysMs?: number[];
  now?: () => Date;
  /**
   * Incremental exports leave out changes younger than this many seconds and refuse a
   * start_time inside that window, as Zendesk does with one minute. Default 60; tests that
   * read their own writes back through the export set 0.
   */
  incrementalLagSeconds?: number;
}

export interface ZendeskCredentials {
  email: string;
  apiToken: string;
  webhookSecret: string;
}

export interface ZendeskEmulator extends Emulator {
  /** `${url}/api/v2`, what node-zendesk takes as `endpointUri`. */
  readonly endpointUri: string;
  readonly credentials: ZendeskCredentials;
  /** In-process access; writes here fire webhooks and enter the incremental exports too. */
  readonly store: ZendeskStore;
}

export async function startZendeskEmulator(opts: ZendeskEmulatorOptions): Promise<ZendeskEmulator> {
  const now = opts.now ?? (() => new Date());
  const credentials: ZendeskCredentials = {
    email: opts.email ?? ZENDESK_SANDBOX_DEFAULTS.email,
    apiToken: opts.apiToken ?? ZENDESK_SANDBOX_DEFAULTS.apiToken,
    webhookSecret: opts.webhookSecret ?? ZENDESK_SANDBOX_DEFAULTS.webhookSecret,
  };
  const store = new ZendeskStore(opts.data, { now });
  const notifier = createZendeskNotifier(credentials.webhookSecret, opts.webhookRetryDelaysMs ?? [1000, 5000, 15000]);
  if (opts.webhookUrl) notifier.setTarget(opts.webhookUrl);
  store.onChange((change, current) => {
    for (const event of buildEvents(change, current, now())) notifier.enqueue(eventMessage(event));
  });

  const ctx = {
    store,
    email: credentials.email,
    apiToken: credentials.apiToken,
    now,
    incrementalLagSeconds: opts.incrementalLagSeconds ?? 60,
    endpointUri: '',
  };
  const emulator = await startEmulator({
    name: 'zendesk',
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    port: opts.port ?? 0,
    router: buildRouter(ctx),
    faultStyle: zendeskFaultStyle,
    notifier,
    describeState: () => store.counts(),
  });
  const endpointUri = `${emulator.url}/api/v2`;
  ctx.endpointUri = endpointUri;
  store.endpointUri = endpointUri;

  return {
    name: emulator.name,
    url: emulator.url,
    port: emulator.port,
    faults: emulator.faults,
    requests: emulator.requests,
    notifier: emulator.notifier,
    close: () => emulator.close(),
    endpointUri,
    credentials,
    store,
  };
}
