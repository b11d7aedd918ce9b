// Starts every emulator, seeded with one generated demo world, and tells how to reach them
// with the same settings a real deployment uses. In-process (tests, `npm start`) on
// ephemeral ports, or standalone (`npx meridian sandbox`) on the contract ports.
import { generateWorld, WORLD_GENERATOR_VERSION } from './world/generate.ts';
import type { WorldMarker } from './world-marker.ts';
import { openJournal, type SandboxJournal } from './journal.ts';
import type { World } from './world/types.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from './salesforce/index.ts';
import { startStripeEmulator, type StripeEmulator } from './stripe/index.ts';
import { startZendeskEmulator, type ZendeskEmulator } from './zendesk/index.ts';
import { startErpSandbox, type ErpSandbox } from './erp/index.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../store/embedded-postgres.ts';

export const SANDBOX_API_VERSION = '59.0';

export interface SandboxOptions {
  /** A ready world; otherwise one is generated from `customers` and `seed`. */
  world?: World;
  customers?: number;
  seed?: number;
  host?: string;
  /** 0 (default) picks free ports; the standalone command passes the contract ports. */
  ports?: { salesforce?: number; stripe?: number; zendesk?: number; erp?: number };
  /**
   * Postgres that holds the ERP schema and the emulators' changes (journal.ts); when absent an
   * in-memory embedded Postgres is started. A schema already seeded with the same world is
   * reused with its changes, so the sandbox persists with its database.
   */
  databaseUrl?: string;
  erpSchema?: string;
  /** Where each emulator posts its change notifications (can be changed later at run time). */
  webhooks?: { salesforce?: string; stripe?: string; zendesk?: string };
  /** Retry delays for webhook deliveries, in ms (each system has its own default shape). */
  webhookRetryDelaysMs?: number[];
  /** Salesforce fields the org lacks, as `Object.Field` (see SalesforceEmulatorOptions.omitFields). */
  salesforceOmitFields?: readonly string[];
}

export interface Sandbox {
  readonly world: World;
  readonly salesforce: SalesforceEmulator;
  readonly stripe: StripeEmulator;
  readonly zendesk: ZendeskEmulator;
  readonly erp: ErpSandbox;
  /** Set when the sandbox started its own embedded Postgres for the ERP. */
  readonly embeddedPostgres: EmbeddedPostgres | null;
  /** Which world this is, as the ERP schema and Meridian's store record it. */
  readonly marker: WorldMarker;
  /** 'reused': the database already held this world, and `replayed` changes made to it were put back. */
  readonly seeded: 'seeded' | 'reused';
  readonly journal: SandboxJournal;
  /** The environment a gateway needs to use this sandbox as if it were the real systems. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export function worldMarker(world: Pick<World, 'seed' | 'size' | 'now'>): WorldMarker {
  return { seed: world.seed, customers: world.size, now: world.now, generator: WORLD_GENERATOR_VERSION };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const world = options.world ?? generateWorld({ customers: options.customers ?? 1000, seed: options.seed ?? 42 });
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? {};
  const retry = options.webhookRetryDelaysMs;
  const marker = worldMarker(world);

  const started: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> =>
    p.then((x) => {
      started.push(x);
      return x;
    });

  try {
    const embeddedPostgres = options.databaseUrl ? null : await track(startEmbeddedPostgres({ dataDir: null, host }));
    const [salesforce, stripe, zendesk, erp] = await Promise.all([
      track(
        startSalesforceEmulator({
          data: world.salesforce,
          host,
          port: ports.salesforce ?? 0,
          outboundMessageUrl: options.webhooks?.salesforce ?? null,
          ...(options.salesforceOmitFields ? { omitFields: options.salesforceOmitFields } : {}),
          ...(retry ? { outboundRetryDelaysMs: retry } : {}),
        }),
      ),
      track(
        startStripeEmulator({
          data: world.stripe,
          host,
          port: ports.stripe ?? 0,
          webhookUrl: options.webhooks?.stripe ?? null,
          ...(retry ? { webhookRetryDelaysMs: retry } : {}),
        }),
      ),
      track(
        startZendeskEmulator({
          data: world.zendesk,
          host,
          port: ports.zendesk ?? 0,
          webhookUrl: options.webhooks?.zendesk ?? null,
          ...(retry ? { webhookRetryDelaysMs: retry } : {}),
        }),
      ),
      track(
        startErpSandbox({
          data: world.erp,
          databaseUrl: options.databaseUrl ?? embeddedPostgres!.url,
          host,
          proxyPort: ports.erp ?? 0,
          ...(options.erpSchema ? { schema: options.erpSchema } : {}),
          marker,
        }),
      ),
    ]);
    // Before anyone is told where the emulators are: the changes of earlier sessions go back in.
    const journal = await track(openJournal(erp.pool, erp.schema, { salesforce: salesforce.store, stripe: stripe.store, zendesk: zendesk.store }));

    return {
      world,
      salesforce,
      stripe,
      zendesk,
      erp,
      embeddedPostgres,
      marker,
      seeded: erp.seeded,
      journal,
      env: () => ({
        SALESFORCE_LOGIN_URL: salesforce.url,
        SALESFORCE_CLIENT_ID: salesforce.credentials.clientId,
        SALESFORCE_CLIENT_SECRET: salesforce.credentials.clientSecret,
        SALESFORCE_USERNAME: salesforce.credentials.username,
        SALESFORCE_PASSWORD: salesforce.credentials.password,
        SALESFORCE_API_VERSION: SANDBOX_API_VERSION,
        STRIPE_API_KEY: stripe.credentials.apiKey,
        STRIPE_API_BASE: stripe.url,
        STRIPE_WEBHOOK_SECRET: stripe.credentials.webhookSecret,
        ZENDESK_ENDPOINT_URI: zendesk.endpointUri,
        ZENDESK_EMAIL: zendesk.credentials.email,
        ZENDESK_API_TOKEN: zendesk.credentials.apiToken,
        ZENDESK_WEBHOOK_SECRET: zendesk.credentials.webhookSecret,
        ERP_DATABASE_URL: erp.url,
        ERP_SCHEMA: erp.schema,
      }),
      close: async () => {
        // Emulators first, then the last recorded changes, the ERP, and the database under it.
        await Promise.all([salesforce.close(), stripe.close(), zendesk.close()]);
        await journal.close();
        await erp.close();
        await embeddedPostgres?.close();
      },
    };
  } catch (e) {
    await Promise.allSettled(started.reverse().map((s) => s.close()));
    throw e;
  }
}
