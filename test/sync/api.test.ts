// The sync API over HTTP (schema/sync.graphql, src/sync/api.ts) on a gateway started with its
// seams injected: `routeUpdate` and `enqueueChange` are recorders that count their calls and
// answer from what they were given (the writeback and capture parts provide the real ones), so
// these tests pin what the API does at the seams — validation before anything is recorded, one
// intent and one routing per key, nothing written when routing refuses.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, startTestApp, testKeyName, type TestApp } from '../support/app.ts';
import type { CanonicalUpdate } from '../../src/sync/update-input.ts';
import type { ChangeJob, PipelineStats, SyncStats } from '../../src/sync/api.ts';
import { createSyncApi } from '../../src/sync/api.ts';
import { IntentInProgressError, createIntentStore, intentIdOf, type WriteJob } from '../../src/sync/intents.ts';
import { ACCOUNT_TYPE } from '../../src/sources/types.ts';
import { execute, parse } from 'graphql';

/** What writeback's ReadOnlySystemError looks like at the seam: an error with code READ_ONLY_SYSTEM. */
class ReadOnly extends Error {
  readonly code = 'READ_ONLY_SYSTEM';
  readonly fields: string[];
  constructor(fields: string[]) {
    super(`no writable system holds ${fields.join(', ')} (the ERP is read-only); nothing was written`);
    this.fields = fields;
  }
}

interface RouteCall {
  goldenId: string;
  values: CanonicalUpdate;
  intentKey: string;
}

const UPDATE = `mutation($id: ID!, $input: CustomerInput!, $key: String!) {
  updateCustomer(id: $id, input: $input, idempotencyKey: $key) { customer { id } intentId idempotencyKey replayed jobs { system recordId outboxId fields } }
}`;

describe('sync API over HTTP', () => {
  let app: TestApp;
  const routed: RouteCall[] = [];
  const enqueued: ChangeJob[] = [];
  /** Makes routing slow, to hold a call in flight. */
  let routeDelayMs = 0;
  let stats: Partial<Record<string, PipelineStats>> | null = null;
  let ids: string[];

  const intents = async (): Promise<{ id: string; actor: string; golden_id: string; state: string; input: unknown }[]> =>
    (await app.store.query<{ id: string; actor: string; golden_id: string; state: string; input: unknown }>(`SELECT id, actor, golden_id, state, input FROM ${app.store.table('sync_intents')} ORDER BY created_at`)).rows;

  beforeAll(async () => {
    const sync = {
      // Answers one job per writable account record of the customer, as writeback's router would.
      routeUpdate: async (goldenId: string, values: CanonicalUpdate, intentKey: string): Promise<{ jobs: WriteJob[] }> => {
        routed.push({ goldenId, values, intentKey });
        if (routeDelayMs > 0) await new Promise((r) => setTimeout(r, routeDelayMs));
        if ('name' in values) throw new ReadOnly(['name']);
        const [links = []] = await app.services.identity.linksFor([goldenId]);
        return {
          jobs: links
            .filter((l) => (l.system === 'salesforce' || l.system === 'stripe') && l.recordType === ACCOUNT_TYPE[l.system])
            .map((l, i) => ({ system: l.system, recordId: l.externalId, outboxId: `${intentKey}:${i}`, fields: Object.keys(values).sort() })),
        };
      },
      enqueueChange: (change: ChangeJob): Promise<string | null> => {
        enqueued.push(change);
        return Promise.resolve(`job-${enqueued.length}`);
      },
      stats: {
        perSystem: () => Promise.resolve(stats ?? {}),
        deadLetters: (system, first) =>
          Promise.resolve(system === 'stripe' ? [{ id: 'dl_1', customerId: ids[0]!, recordId: 'cus_x', fields: ['phone'], reason: 'Stripe answered HTTP 400', attempts: 8, failedAt: new Date('2026-12-01T10:00:00Z') }].slice(0, first) : []),
      } satisfies SyncStats,
    };
    app = await startTestApp({ customers: 60, seed: 7, app: { sync } });
    const r = await app.gql<{ customers: { edges: { node: { id: string; sources: { system: string }[] } }[] } }>('{ customers(first: 60) { edges { node { id sources { system } } } } }');
    expect(r.errors).toEqual([]);
    // Customers with a Salesforce and a Stripe record: routing has something to answer.
    ids = r.data!.customers.edges.map((e) => e.node).filter((n) => ['SALESFORCE', 'STRIPE'].every((s) => n.sources.some((x) => x.system === s))).map((n) => n.id);
    expect(ids.length).toBeGreaterThan(8);
  });
  afterAll(() => app?.close());
  beforeEach(() => {
    routed.length = 0;
    enqueued.length = 0;
    routeDelayMs = 0;
  });

  describe('updateCustomer', () => {
    it('rejects the whole input naming each bad field, records nothing and routes nothing', async () => {
      const before = await intents();
      const r = await app.gql(UPDATE, {
        id: ids[0],
        key: '',
        input: { email: 'billing@@x', phone: '12', website: 'https://example.com', address: { city: 'Springfield', postalCode: '99999', country: 'Atlantis' } },
      });
      expect(r.status).toBe(200);
      expect(r.data).toBeNull();
      expect(r.errors).toHaveLength(1);
      const e = r.errors[0]!;
      expect(e.extensions?.['code']).toBe('BAD_USER_INPUT');
      const invalid = e.extensions?.['invalidFields'] as { field: string; reason: string }[];
      expect(invalid.map((f) => f.field).sort()).toEqual(['idempotencyKey', 'input.address.country', 'input.address.line1', 'input.email', 'input.phone']);
      for (const f of invalid) expect(e.message).toContain(`${f.field}: ${f.reason}`);
      expect(routed).toEqual([]);
      expect(await intents()).toEqual(before);
    });

    it('records the intent with its actor, routes the canonical values once and answers the jobs', async () => {
      const r = await app.gql<{ updateCustomer: { customer: { id: string }; intentId: string; replayed: boolean; jobs: { system: string; recordId: string; outboxId: string; fields: string[] }[] } }>(
        UPDATE,
        { id: ids[1], key: 'edit-1', input: { phone: '(415) 555-0134', email: ' Billing@Example.COM ' } },
        { headers: bearer('agent') },
      );
      expect(r.errors).toEqual([]);
      const u = r.data!.updateCustomer;
      expect(u.customer.id).toBe(ids[1]);
      expect(u.replayed).toBe(false);
      expect(routed).toEqual([{ goldenId: ids[1], values: { phone: '+14155550134', email: 'billing@example.com' }, intentKey: u.intentId }]);
      expect(u.jobs.map((j) => j.system).sort()).toEqual(['SALESFORCE', 'STRIPE']);
      expect(u.jobs.every((j) => j.fields.join() === 'email,phone' && j.outboxId.startsWith(u.intentId))).toBe(true);
      const rows = (await intents()).filter((i) => i.id === u.intentId);
      expect(rows).toEqual([{ id: u.intentId, actor: testKeyName('agent'), golden_id: ids[1], state: 'routed', input: { phone: '+14155550134', email: 'billing@example.com' } }]);
    });

    it('without a key (CONTRACT: idempotencyKey is optional) each call is its own update, under a key Meridian made', async () => {
      const keyless = `mutation($id: ID!, $input: CustomerInput!) { updateCustomer(id: $id, input: $input) { intentId idempotencyKey replayed } }`;
      const vars = { id: ids[6], input: { phone: '+1 415 555 0177' } };
      const a = await app.gql<{ updateCustomer: { intentId: string; idempotencyKey: string; replayed: boolean } }>(keyless, vars);
      const b = await app.gql<{ updateCustomer: { intentId: string; idempotencyKey: string; replayed: boolean } }>(keyless, vars);
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
      expect(a.data!.updateCustomer.replayed).toBe(false);
      expect(b.data!.updateCustomer.replayed).toBe(false);
      expect(a.data!.updateCustomer.idempotencyKey).toMatch(/^auto:[0-9a-f-]{36}$/);
      expect(b.data!.updateCustomer.intentId).not.toBe(a.data!.updateCustomer.intentId);
      expect(routed).toHaveLength(2);
    });

    it('the same key answers the first result and writes nothing new; other spellings of the same values are the same request', async () => {
      const vars = { id: ids[2], key: 'edit-2', input: { phone: '+1 415 555 0199' } };
      const first = await app.gql<{ updateCustomer: Record<string, unknown> }>(UPDATE, vars);
      const count = (await intents()).length;
      const again = await app.gql<{ updateCustomer: Record<string, unknown> }>(UPDATE, vars);
      const respelled = await app.gql<{ updateCustomer: Record<string, unknown> }>(UPDATE, { ...vars, input: { phone: '(415) 555-0199' } });
      expect(first.errors).toEqual([]);
      expect(again.errors).toEqual([]);
      expect(respelled.errors).toEqual([]);
      expect(again.data!.updateCustomer).toEqual({ ...first.data!.updateCustomer, replayed: true });
      expect(respelled.data!.updateCustomer).toEqual({ ...first.data!.updateCustomer, replayed: true });
      expect(routed).toHaveLength(1);
      expect(await intents()).toHaveLength(count);
    });

    it('the same key with another input is a CONFLICT, writing nothing; the key is per caller', async () => {
      await app.gql(UPDATE, { id: ids[3], key: 'edit-3', input: { phone: '+14155550111' } });
      const count = (await intents()).length;
      const other = await app.gql(UPDATE, { id: ids[3], key: 'edit-3', input: { phone: '+14155550112' } });
      expect(other.data).toBeNull();
      expect(other.errors.map((e) => [e.extensions?.['code'], e.extensions?.['reason']])).toEqual([['CONFLICT', 'IDEMPOTENCY_KEY_REUSED']]);
      const otherCustomer = await app.gql(UPDATE, { id: ids[4], key: 'edit-3', input: { phone: '+14155550111' } });
      expect(otherCustomer.errors.map((e) => e.extensions?.['code'])).toEqual(['CONFLICT']);
      expect(routed).toHaveLength(1);
      expect(await intents()).toHaveLength(count);
      // Another caller's key of the same text is its own.
      const service = await app.gql(UPDATE, { id: ids[3], key: 'edit-3', input: { phone: '+14155550112' } }, { headers: bearer('service') });
      expect(service.errors).toEqual([]);
      expect(routed).toHaveLength(2);
    });

    it('two calls with one key at the same time route once and both answer the same jobs', async () => {
      routeDelayMs = 300;
      const vars = { id: ids[5], key: 'edit-5', input: { website: 'keel.example' } };
      const [a, b] = await Promise.all([app.gql<{ updateCustomer: { intentId: string; jobs: unknown[]; replayed: boolean } }>(UPDATE, vars), app.gql<{ updateCustomer: { intentId: string; jobs: unknown[]; replayed: boolean } }>(UPDATE, vars)]);
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
      expect(routed).toHaveLength(1);
      expect(a.data!.updateCustomer.jobs).toEqual(b.data!.updateCustomer.jobs);
      expect([a.data!.updateCustomer.replayed, b.data!.updateCustomer.replayed].sort()).toEqual([false, true]);
    });

    it('READ_ONLY_SYSTEM when routing says so: nothing recorded, and the key is free again', async () => {
      const before = await intents();
      const r = await app.gql(UPDATE, { id: ids[6], key: 'edit-6', input: { name: 'Keel Bay Electric' } });
      expect(r.data).toBeNull();
      expect(r.errors.map((e) => [e.extensions?.['code'], e.extensions?.['fields']])).toEqual([['READ_ONLY_SYSTEM', ['name']]]);
      expect(r.errors[0]!.message).toMatch(/read-only/);
      expect(await intents()).toEqual(before);
      const retry = await app.gql(UPDATE, { id: ids[6], key: 'edit-6', input: { phone: '+14155550166' } });
      expect(retry.errors).toEqual([]);
    });

    it('a retired id acts on its survivor; an unknown id is NOT_FOUND with nothing recorded', async () => {
      const merged = await app.gql<{ mergeCustomers: { id: string } }>('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [ids[7], ids[8]] });
      expect(merged.errors).toEqual([]);
      const survivor = merged.data!.mergeCustomers.id;
      const retired = survivor === ids[7] ? ids[8]! : ids[7]!;
      const r = await app.gql<{ updateCustomer: { customer: { id: string } } }>(UPDATE, { id: retired, key: 'edit-7', input: { phone: '+14155550177' } });
      expect(r.errors).toEqual([]);
      expect(r.data!.updateCustomer.customer.id).toBe(survivor);
      expect(routed.map((c) => c.goldenId)).toEqual([survivor]);
      const count = (await intents()).length;
      const missing = await app.gql(UPDATE, { id: 'gc_01ARZ3NDEKTSV4RRFFQ69G5FAV', key: 'edit-8', input: { phone: '+14155550188' } });
      expect(missing.errors.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
      expect(await intents()).toHaveLength(count);
    });

    it('roles without CONTACT may not call it: FORBIDDEN, nothing recorded or routed', async () => {
      const before = await intents();
      const r = await app.gql(UPDATE, { id: ids[0], key: 'edit-r', input: { industry: 'Utilities' } }, { headers: bearer('reader') });
      expect(r.errors.map((e) => [e.extensions?.['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'updateCustomer']]);
      expect(routed).toEqual([]);
      expect(await intents()).toEqual(before);
    });

    it('without write routing wired, READ_ONLY_SYSTEM and nothing recorded', async () => {
      const bare = createSyncApi({ store: app.store, identity: app.services.identity, pubsub: app.pubsub, sources: app.services.sources, defaultRegion: 'US', now: () => new Date() });
      const ctx = app.context('no-route', { kind: 'api-key', id: 'k', name: 'k', role: 'admin' });
      ctx.services = { ...ctx.services, sync: bare };
      const before = await intents();
      const r = await execute({ schema: app.schema, document: parse(UPDATE), variableValues: { id: ids[0], key: 'edit-n', input: { phone: '+14155550100' } }, contextValue: ctx });
      expect(r.errors?.map((e) => e.extensions['code'])).toEqual(['READ_ONLY_SYSTEM']);
      expect(r.errors?.[0]?.message).toMatch(/routes no writes/);
      expect(await intents()).toEqual(before);
    });
  });

  describe('intents left by a gateway that died mid-call', () => {
    const request = (key: string) => ({ actorId: 'key_dead', actor: 'dead-gateway', key, requestedId: ids[10]!, goldenId: ids[10]!, values: { phone: '+14155550100' } });
    const claim = async (key: string, ageSeconds: number): Promise<void> => {
      const r = request(key);
      const intents = createIntentStore(app.store, { leaseMs: 60_000 });
      // A claim that never completed: what a crash between claiming and recording leaves.
      let release!: () => void;
      const routing = intents.run(r, () => new Promise<WriteJob[]>((_, reject) => (release = () => reject(new Error('crashed')))));
      await new Promise((res) => setTimeout(res, 50));
      await app.store.query(`UPDATE ${app.store.table('sync_intents')} SET claimed_at = now() - make_interval(secs => $2) WHERE id = $1`, [intentIdOf(r.actorId, key), ageSeconds]);
      // Its row must outlive the "crash": keep a copy to put back after the failure removes it.
      const row = (await app.store.query(`SELECT * FROM ${app.store.table('sync_intents')} WHERE id = $1`, [intentIdOf(r.actorId, key)])).rows[0] as Record<string, unknown>;
      release();
      await routing.catch(() => undefined);
      const cols = Object.keys(row);
      await app.store.query(`INSERT INTO ${app.store.table('sync_intents')} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((c) => (c === 'input' ? JSON.stringify(row[c]) : row[c])));
    };

    it('a claim older than the lease is taken over and routed with the same intent key', async () => {
      await claim('dead-1', 120);
      const calls: string[] = [];
      const r = await createIntentStore(app.store, { leaseMs: 60_000 }).run(request('dead-1'), (intentKey) => {
        calls.push(intentKey);
        return Promise.resolve([{ system: 'stripe', recordId: 'cus_1', outboxId: 'ob_1', fields: ['phone'] }]);
      });
      expect(calls).toEqual([intentIdOf('key_dead', 'dead-1')]);
      expect(r).toMatchObject({ intentId: calls[0], replayed: false, jobs: [{ outboxId: 'ob_1' }] });
    });

    it('a fresh claim is waited for, then answered IN_PROGRESS without routing', async () => {
      await claim('dead-2', 0);
      const calls: string[] = [];
      const run = createIntentStore(app.store, { leaseMs: 60_000, waitMs: 200, pollMs: 20 }).run(request('dead-2'), (k) => {
        calls.push(k);
        return Promise.resolve([]);
      });
      await expect(run).rejects.toBeInstanceOf(IntentInProgressError);
      expect(calls).toEqual([]);
    });
  });

  it('syncCustomer queues one manual change per linked account record', async () => {
    const r = await app.gql<{ syncCustomer: { customerId: string; changes: { system: string; type: string; externalId: string; jobId: string }[] } }>(
      'mutation($id: ID!) { syncCustomer(id: $id) { customerId requestedAt changes { system type externalId jobId } } }',
      { id: ids[0] },
      { headers: bearer('service') },
    );
    expect(r.errors).toEqual([]);
    const [links = []] = await app.services.identity.linksFor([ids[0]!]);
    const accounts = links.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]);
    expect(accounts.length).toBeGreaterThan(1);
    expect(enqueued).toEqual(accounts.map((l) => ({ system: l.system, type: 'account', id: l.externalId, reason: 'manual' })));
    expect(r.data!.syncCustomer.changes.map((c) => c.externalId)).toEqual(accounts.map((l) => l.externalId));
    expect(r.data!.syncCustomer.changes.map((c) => c.jobId)).toEqual(accounts.map((_, i) => `job-${i + 1}`));
    const agent = await app.gql('mutation($id: ID!) { syncCustomer(id: $id) { customerId } }', { id: ids[0] }, { headers: bearer('agent') });
    expect(agent.errors.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    expect(enqueued).toHaveLength(accounts.length);
  });

  describe('syncOverview', () => {
    const OVERVIEW = `{ syncOverview { at pipelineKnown systems { system configured health breaker rateLimit { limited retryAt lastLimitedAt }
      queueDepth lagSeconds outboxDepth lastError { message at } deadLetterCount deadLetters(first: 5) { id recordId fields reason attempts failedAt } } } }`;
    type System = { system: string; configured: boolean; health: string; breaker: string | null; rateLimit: { limited: boolean; retryAt: string | null; lastLimitedAt: string | null }; queueDepth: number | null; lagSeconds: number | null; lastError: { message: string } | null; deadLetterCount: number | null; deadLetters: unknown[] | null };
    const overview = async (): Promise<Record<string, System>> => {
      const r = await app.gql<{ syncOverview: { systems: System[] } }>(OVERVIEW);
      expect(r.errors).toEqual([]);
      return Object.fromEntries(r.data!.syncOverview.systems.map((s) => [s.system, s]));
    };

    it("shows a system's rate limiting and open breaker as this gateway met them, and every system of the contract", async () => {
      const quiet = await overview();
      expect(Object.keys(quiet)).toEqual(['SALESFORCE', 'ZENDESK', 'STRIPE', 'NETSUITE', 'ERP', 'FULFILLMENT']);
      expect(quiet['NETSUITE']).toMatchObject({ configured: false, health: 'NOT_CONFIGURED', breaker: null, queueDepth: null });
      expect(quiet['STRIPE']).toMatchObject({ configured: true, health: 'OK', breaker: 'CLOSED', rateLimit: { limited: false, retryAt: null, lastLimitedAt: null } });

      // Stripe answers 429 with Retry-After: 30 to the next read (a cold customer with a Stripe record).
      app.sandbox!.stripe.faults.set({ rateLimitRate: 1, retryAfterSeconds: 30 });
      try {
        await app.services.cache.invalidate([ids[9]!]);
        const read = await app.gql('query($id: ID!) { customer(id: $id) { id lifecycle } }', { id: ids[9] });
        expect(read.errors.map((e) => e.extensions?.['system'])).toContain('STRIPE');
      } finally {
        app.sandbox!.stripe.faults.reset();
      }
      const after = await overview();
      const stripe = after['STRIPE']!;
      expect(stripe).toMatchObject({ health: 'DOWN', breaker: 'OPEN', rateLimit: { limited: true } });
      const wait = Date.parse(stripe.rateLimit.retryAt!) - Date.parse(stripe.rateLimit.lastLimitedAt!);
      // Retry-After is counted from Stripe's answer; the refusal is noted a moment later.
      expect(wait).toBeGreaterThan(29_000);
      expect(wait).toBeLessThanOrEqual(30_000);
      expect(stripe.lastError?.message).toMatch(/rate limited \(retry after 30 s\)/);
      expect(after['SALESFORCE']).toMatchObject({ health: 'OK', breaker: 'CLOSED' });
    });

    it('passes the pipeline figures through: lag is the age of the oldest waiting change; dead letters make a system DEGRADED', async () => {
      const oldest = new Date(Date.now() - 42_000);
      stats = { salesforce: { queueDepth: 3, oldestPendingAt: oldest, outboxDepth: 1, lastError: null, deadLetterCount: 0 }, zendesk: { queueDepth: 0, oldestPendingAt: null, outboxDepth: 0, lastError: { message: 'Zendesk answered HTTP 500', at: new Date() }, deadLetterCount: 2 } };
      const o = await overview();
      expect(o['SALESFORCE']).toMatchObject({ queueDepth: 3, health: 'OK', deadLetterCount: 0 });
      expect(o['SALESFORCE']!.lagSeconds).toBeGreaterThanOrEqual(42);
      expect(o['SALESFORCE']!.lagSeconds).toBeLessThan(60);
      expect(o['ZENDESK']).toMatchObject({ lagSeconds: 0, health: 'DEGRADED', deadLetterCount: 2, lastError: { message: 'Zendesk answered HTTP 500' } });
      // A configured system the pipeline has no rows for: zero, not unknown.
      expect(o['ERP']).toMatchObject({ queueDepth: 0, lagSeconds: 0, deadLetterCount: 0 });
      expect(o['STRIPE']!.deadLetters).toEqual([{ id: 'dl_1', recordId: 'cus_x', fields: ['phone'], reason: 'Stripe answered HTTP 400', attempts: 8, failedAt: '2026-12-01T10:00:00.000Z' }]);
    });

    it('is for OPERATIONS: null with FORBIDDEN for other roles, the rest of the answer standing', async () => {
      for (const [role, allowed] of [['service', true], ['steward', false], ['agent', false], ['reader', false]] as const) {
        const r = await app.gql<{ syncOverview: unknown; ok: boolean }>('{ ok syncOverview { pipelineKnown } }', {}, { headers: bearer(role) });
        expect(r.data?.ok, role).toBe(true);
        if (allowed) expect(r.errors, role).toEqual([]);
        else expect(r.errors.map((e) => [e.extensions?.['code'], e.path?.join('.')]), role).toEqual([['FORBIDDEN', 'syncOverview']]);
      }
    });
  });
});
