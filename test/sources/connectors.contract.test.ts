// The one contract every connector keeps (src/sources/contract.ts), run against each system the
// registry lists, opened by its own descriptor over the settings its sandbox emulator gives, with
// the real SDK (as test/cache/cache.contract.ts does for the caches). A system added to the
// registry runs here too; it only needs its entry in PLANTS below (how to name a record of it,
// and how to plant one its schema refuses), which the type makes required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import type { World } from '../../src/sandbox/world/types.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { ACCOUNT_TYPE, SYSTEM_DESCRIPTORS, type SystemId } from '../../src/sources/registry.ts';
import type { ConnectorDeps, OpenedSystem, SourceConnector } from '../../src/sources/contract.ts';
import { InvalidSourceRecordError, SourceUnavailableError } from '../../src/sources/errors.ts';
import { systemClock } from '../../src/sources/options.ts';
import type { ScanPage } from '../../src/sources/scan.ts';
import type { SourceRecord } from '../../src/domain/records.ts';
import { toSalesforceId18 } from '../../src/sources/salesforce/schema.ts';
import { uniqueSchema } from '../support/postgres.ts';

interface Plant {
  /** A live account-level record of the world. */
  account(world: World): string;
  /** Well-formed, names nothing. */
  missing: string;
  /** Makes that record fail the connector's schema upstream; returns how to put it back. */
  corrupt(sandbox: Sandbox, id: string): Promise<() => Promise<void>>;
}

const PLANTS: Record<SystemId, Plant> = {
  salesforce: {
    account: (w) => w.salesforce.accounts.find((a) => !a.IsDeleted)!.Id,
    missing: toSalesforceId18('001000000000999')!,
    corrupt: (sb, id) => {
      const before = sb.salesforce.store.get('Account', id)!['NumberOfEmployees'];
      // Past the API's own checks, as a customization or an API change would answer.
      sb.salesforce.store.applyUpdate('Account', id, { NumberOfEmployees: 'many' });
      return Promise.resolve(() => Promise.resolve(void sb.salesforce.store.applyUpdate('Account', id, { NumberOfEmployees: before })));
    },
  },
  stripe: {
    account: (w) => w.stripe.customers.find((c) => !('deleted' in c && c.deleted))!.id,
    missing: 'cus_NOTHERE0000000',
    corrupt: (sb, id) => {
      const customer = sb.stripe.store.list('customer').find((c) => c.id === id)!;
      sb.stripe.store.restore('customer', { ...customer, created: 'yesterday' as unknown as number });
      return Promise.resolve(() => Promise.resolve(void sb.stripe.store.restore('customer', customer)));
    },
  },
  zendesk: {
    account: (w) => String(w.zendesk.organizations[0]!.id),
    missing: '999999999',
    corrupt: (sb, id) => {
      const org = sb.zendesk.store.organizationRows().find((o) => o.id === Number(id))!;
      sb.zendesk.store.restore('organization', { ...org, name: 42 as unknown as string });
      return Promise.resolve(() => Promise.resolve(sb.zendesk.store.restore('organization', org)));
    },
  },
  erp: {
    account: (w) => w.erp.customers[0]!.customer_number,
    missing: 'C-NOT-THERE',
    corrupt: async (sb, id) => {
      const s = sb.erp.schema;
      const { rows } = await sb.erp.pool.query<{ currency: string }>(`SELECT currency FROM ${s}.customers WHERE customer_number = $1`, [id]);
      await sb.erp.pool.query(`UPDATE ${s}.customers SET currency = '1$X' WHERE customer_number = $1`, [id]);
      return async () => void (await sb.erp.pool.query(`UPDATE ${s}.customers SET currency = $2 WHERE customer_number = $1`, [id, rows[0]!.currency]));
    },
  },
};

const quiet = { info: () => undefined, error: () => undefined };

/** Every URL of the environment pointed at a port where nothing listens (connection refused). */
function unreachable(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      if (!/^(https?|postgres(ql)?):\/\//.test(v)) return [k, v];
      const u = new URL(v);
      u.hostname = '127.0.0.1';
      u.port = '1';
      return [k, u.href];
    }),
  );
}

async function scanAll(connector: SourceConnector, options: { pageSize: number; after?: string }): Promise<ScanPage[]> {
  const pages: ScanPage[] = [];
  for await (const page of connector.scanAccounts({ ...options, retry: { attempts: 1 } })) pages.push(page);
  return pages;
}

describe('the connector contract', () => {
  let sandbox: Sandbox;
  const erpSchema = uniqueSchema('erp_contract');
  const opened: OpenedSystem[] = [];
  const deps = (): ConnectorDeps => ({ clock: systemClock, logger: quiet, timeoutMs: 5000, env: {}, sandbox });

  beforeAll(async () => {
    const databaseUrl = process.env['DATABASE_URL'];
    sandbox = await startSandbox({ customers: 40, seed: 11, ...(databaseUrl ? { databaseUrl, erpSchema } : {}) });
  });

  afterAll(async () => {
    for (const o of opened) await o.close();
    if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`);
    await sandbox?.close();
  });

  it('covers every system of the registry', () => {
    expect(Object.keys(PLANTS).sort()).toEqual(SYSTEM_DESCRIPTORS.map((d) => d.id).sort());
  });

  for (const descriptor of SYSTEM_DESCRIPTORS) {
    describe(descriptor.id, () => {
      const plant = PLANTS[descriptor.id];
      let connector: SourceConnector;
      const open = async (env: Record<string, string>): Promise<SourceConnector> => {
        const settings = readSystemSettings(env)[descriptor.id];
        expect(settings).not.toBeNull();
        const o = await descriptor.create(settings, deps());
        opened.push(o);
        await o.ready?.();
        return o.connector;
      };

      beforeAll(async () => {
        connector = await open(sandbox.env());
      });

      it('reads an account: the system, its account type and id, in key order with null for what names nothing', async () => {
        const id = plant.account(sandbox.world);
        const [found, missing] = await connector.loadAccounts([id, plant.missing]);
        expect(found).toMatchObject({ system: descriptor.id, type: ACCOUNT_TYPE[descriptor.id], id });
        expect(missing).toBeNull();
      });

      it('lists every account in pages, each no larger than asked, and resumes after any page', async () => {
        const pages = await scanAll(connector, { pageSize: 7 });
        const ids = pages.flatMap((p) => p.map((r) => r.id));
        expect(ids.length).toBeGreaterThan(7);
        expect(new Set(ids).size).toBe(ids.length);
        expect(pages.every((p) => p.length <= 7 && p.invalid.length === 0)).toBe(true);
        expect(ids).toContain(plant.account(sandbox.world));
        const first = pages[0]!;
        expect(first.resumeAfter).not.toBeNull();
        const rest = (await scanAll(connector, { pageSize: 7, after: first.resumeAfter! })).flatMap((p) => p.map((r) => r.id));
        expect(rest.sort()).toEqual(ids.slice(first.length).sort());
      });

      it('reports a record that fails its schema as the one InvalidSourceRecordError: for its key alone, and in the scan page, never dropped', async () => {
        const id = plant.account(sandbox.world);
        const other = (await scanAll(connector, { pageSize: 7 })).flatMap((p) => p.map((r) => r.id)).find((x) => x !== id)!;
        const restore = await plant.corrupt(sandbox, id);
        try {
          const [bad, good] = await connector.loadAccounts([id, other]);
          expect(bad).toBeInstanceOf(InvalidSourceRecordError);
          expect((bad as InvalidSourceRecordError).system).toBe(descriptor.id);
          expect((good as SourceRecord).id).toBe(other);
          const pages = await scanAll(connector, { pageSize: 7 });
          const invalid = pages.flatMap((p) => p.invalid);
          expect(invalid).toHaveLength(1);
          expect(invalid[0]).toBeInstanceOf(InvalidSourceRecordError);
          expect(invalid[0]!.message).toContain(id);
          expect(pages.flatMap((p) => p.map((r) => r.id))).not.toContain(id);
        } finally {
          await restore();
        }
      });

      it('answers SourceUnavailableError for every key when the system cannot be reached', async () => {
        const down = await open(unreachable(sandbox.env()));
        const out = await down.loadAccounts([plant.account(sandbox.world), plant.missing]);
        expect(out).toHaveLength(2);
        for (const r of out) expect(r).toBeInstanceOf(SourceUnavailableError);
        await expect(scanAll(down, { pageSize: 7 })).rejects.toBeInstanceOf(SourceUnavailableError);
      });
    });
  }
});
