// The authorization matrix (issue #9, acceptance): every role × representative queries,
// mutations and subscriptions, through the gateway's real executable schema in-process, with
// ctx.principal set to each role. The expected answers are stated in policy-fixture.ts,
// independently of src/access: for reads, a role's answer is the admin's answer with exactly the fields its role
// may not read nulled, each with a FORBIDDEN error at its path; for writes, a denied mutation
// answers FORBIDDEN and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, parse, subscribe, type ExecutionResult, type GraphQLError } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { startTestApp, type TestApp } from '../support/app.ts';
import { ROLES, type Principal, type Role } from '../../src/access/principal.ts';
import { loadTypeDefs } from '../../src/app.ts';
import { resolvers } from '../../resolvers/index.ts';
import { withAccessRules } from '../../src/access/guard.ts';
import { planAccess } from '../../src/access/plan.ts';
import type { GatewayContext } from '../../src/server/context.ts';
import { CANONICAL, READS, expectedFor, may, type Class } from './policy-fixture.ts';
import { CUSTOMER_CHANGED_CHANNEL, SYNC_STATUS_CHANNEL, type SyncSeams } from '../../src/sync/api.ts';

const principal = (role: Role | null): Principal => ({ kind: 'api-key', id: `test-${role ?? 'none'}`, name: `test ${role ?? 'none'}`, role });

/** Two-way sync's seams as recorders: a denied call must reach neither (src/sync/api.ts). */
const routed: string[] = [];
const enqueued: string[] = [];
const seams: SyncSeams = {
  routeUpdate: (goldenId, values, intentKey) => {
    routed.push(goldenId);
    return Promise.resolve({ jobs: [{ system: 'stripe', recordId: `cus_${goldenId}`, outboxId: `${intentKey}:0`, fields: Object.keys(values) }] });
  },
  enqueueChange: (change) => {
    enqueued.push(change.id);
    return Promise.resolve(`job-${enqueued.length}`);
  },
};

describe('authorization matrix', () => {
  let app: TestApp;
  /** A customer every system knows, with conflicts: every class has something to hide. */
  let rich: string;
  let ids: string[];
  const run = async (role: Role | null, query: string, variables: Record<string, unknown> = {}, ctx?: GatewayContext): Promise<ExecutionResult> =>
    execute({ schema: app.schema, document: parse(query), variableValues: variables, contextValue: ctx ?? app.context(`matrix-${role}`, principal(role)) });
  const forbiddenPaths = (errors: readonly GraphQLError[] | undefined): string[] => (errors ?? []).filter((e) => e.extensions['code'] === 'FORBIDDEN').map((e) => (e.path ?? []).join('.')).sort();

  beforeAll(async () => {
    app = await startTestApp({ customers: 200, seed: 42, app: { sync: seams } });
    const r = await run('admin', '{ customers(first: 100) { edges { node { id sources { system } conflicts { field } } } } }');
    expect(r.errors).toBeUndefined();
    const nodes = (r.data as { customers: { edges: { node: { id: string; sources: { system: string }[]; conflicts: { field: string }[] } }[] } }).customers.edges.map((e) => e.node);
    ids = nodes.map((n) => n.id);
    const everywhere = nodes.filter((n) => ['SALESFORCE', 'STRIPE', 'ZENDESK', 'ERP'].every((s) => n.sources.some((x) => x.system === s)));
    rich = (everywhere.find((n) => n.conflicts.some((c) => CANONICAL[c.field])) ?? everywhere[0]!).id;
    // Review items between customers no other part of this file uses (the 200-customer world raises few).
    const links = await app.services.identity.linksFor(ids.slice(80, 96));
    const refs = links.map((l) => ({ system: l[0]!.system, recordType: l[0]!.recordType, externalId: l[0]!.externalId }));
    const pairs = Array.from({ length: 8 }, (_, i) => ({
      records: [refs[2 * i]!, refs[2 * i + 1]!] as [(typeof refs)[0], (typeof refs)[0]],
      probability: 0.6,
      weight: 3,
      levels: [{ field: 'name', level: 'exact', weight: 3 }],
    }));
    await app.services.reviews.addPossibleDuplicates(pairs, 'backfill');
  });
  afterAll(() => app?.close());


  it('admin sees everything, so every denial below hides something real', async () => {
    for (const [name, query] of Object.entries(READS)) {
      const r = await run('admin', query, { id: rich });
      expect(r.errors, name).toBeUndefined();
    }
    const p = (await run('admin', READS['profile']!, { id: rich })).data as { customer: Record<string, unknown> };
    for (const f of ['email', 'phone', 'address', 'contractValue', 'contacts']) expect(p.customer[f], f).not.toBeNull();
    const rel = (await run('admin', READS['related']!, { id: rich })).data as { customer: Record<string, { totalCount: number } | null> };
    for (const f of ['tickets', 'subscriptions', 'invoices']) expect(rel.customer[f]?.totalCount, f).toBeGreaterThan(0);
    const lin = (await run('admin', READS['lineage']!, { id: rich })).data as { customer: { lineage: { field: string; value: unknown }[] } };
    expect(lin.customer.lineage.find((l) => l.field === 'contractValue')?.value).not.toBeNull();
  });

  for (const role of ROLES) {
    for (const name of Object.keys(READS)) {
      it(`${role} × ${name}: the admin's answer minus exactly what ${role} may not read, each FORBIDDEN at its path`, async () => {
        const query = READS[name]!;
        const admin = await run('admin', query, { id: rich });
        const want = expectedFor(role, admin.data, 'Query');
        const got = await run(role, query, { id: rich });
        expect(forbiddenPaths(got.errors)).toEqual(want.forbidden);
        expect((got.errors ?? []).filter((e) => e.extensions['code'] !== 'FORBIDDEN')).toEqual([]);
        expect(got.data).toEqual(want.data);
        if (role === 'agent' && name === 'lineage') expect(want.forbidden).toContain('customer.lineage.11.value'); // contractValue
      });
    }
  }

  it('what each role may read, in one table (the errors above are what this summarizes)', async () => {
    const seen: Record<string, string[]> = {};
    for (const role of ROLES) {
      const r = await run(role, READS['profile']!.replace('id name', 'id name'), { id: rich });
      const denied = new Set(forbiddenPaths(r.errors).map((p) => p.split('.')[1]));
      seen[role] = ['email', 'contacts', 'contractValue', 'paymentStatus'].filter((f) => !denied.has(f));
    }
    expect(seen).toEqual({
      admin: ['email', 'contacts', 'contractValue', 'paymentStatus'],
      steward: ['email', 'contacts'],
      approver: ['email', 'contacts', 'contractValue', 'paymentStatus'],
      agent: ['email', 'contacts'],
      reader: [],
      service: ['email', 'contacts', 'contractValue', 'paymentStatus'],
    });
  });

  it('search by e-mail or phone is a lookup by that value: refused before searching to roles without CONTACT', async () => {
    const admin = (await run('admin', '{ customer(id: "' + rich + '") { email phone } }')).data as { customer: { email: string; phone: string } };
    for (const role of ROLES) {
      for (const q of [admin.customer.email, admin.customer.phone]) {
        const r = await run(role, 'query($q: String!) { searchCustomers(query: $q, first: 3) { matchedOn matchedValue customer { id } } }', { q });
        if (may(role, 'CONTACT')) {
          expect(r.errors, `${role} ${q}`).toBeUndefined();
          expect((r.data as { searchCustomers: { customer: { id: string } }[] }).searchCustomers.map((h) => h.customer.id)).toContain(rich);
        } else {
          expect(r.data, `${role} ${q}`).toBeNull();
          expect(r.errors?.map((e) => [e.extensions['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'searchCustomers']]);
          // The same answer whether the value exists or not: no oracle.
          const miss = await run(role, 'query($q: String!) { searchCustomers(query: $q) { matchedOn } }', { q: q.includes('@') ? 'nobody@nowhere.example' : '+1 202 555 0000' });
          expect(miss.errors?.map((e) => e.message)).toEqual(r.errors?.map((e) => e.message));
        }
      }
    }
  });

  /** What a denied mutation must leave as it was. */
  const writes = async (): Promise<unknown> =>
    (
      await app.store.query(
        `SELECT (SELECT count(*) FROM ${app.store.table('identity_events')}) AS events,
                (SELECT count(*) FROM ${app.store.table('identity_links')}) AS links,
                (SELECT count(*) FROM ${app.store.table('identity_cannot_link')}) AS cannot_link,
                (SELECT string_agg(id::text || status, ',' ORDER BY id) FROM ${app.store.table('review_items')}) AS items,
                (SELECT string_agg(golden_id || system || external_id, ',' ORDER BY system, external_id) FROM ${app.store.table('identity_links')}) AS membership`,
      )
    ).rows[0];

  const MUTATIONS: Record<string, Class> = { mergeCustomers: 'STEWARDSHIP', splitCustomer: 'STEWARDSHIP', resolveReview: 'STEWARDSHIP', linkSourceRecord: 'LINKING' };
  let next = 100;
  /** Two customers no other test touched and no review item names. */
  const freshPair = async (): Promise<[string, string]> => {
    const items = (await run('admin', '{ reviewQueue(first: 100) { edges { node { records { customer { id } } } } } }')).data as { reviewQueue: { edges: { node: { records: { customer: { id: string } | null }[] } }[] } };
    const inReview = new Set(items.reviewQueue.edges.flatMap((e) => e.node.records.map((r) => r.customer?.id)));
    const pick = (): string => {
      while (inReview.has(ids[next % ids.length])) next++;
      return ids[next++ % ids.length]!;
    };
    return [pick(), pick()];
  };

  for (const role of ROLES) {
    it(`${role} × mutations: ${Object.entries(MUTATIONS).filter(([, c]) => may(role, c)).map(([m]) => m).join(', ') || 'none'} allowed; every other one FORBIDDEN, writing nothing`, async () => {
      const ctx = (): GatewayContext => app.context(`matrix-${role}`, principal(role));
      const check = async (name: string, query: string, variables: Record<string, unknown>, effect: () => Promise<void>): Promise<void> => {
        const before = await writes();
        const r = await run(role, query, variables, ctx());
        if (may(role, MUTATIONS[name]!)) {
          expect(r.errors, `${role} ${name}`).toBeUndefined();
          await effect();
        } else {
          expect(r.data, `${role} ${name}`).toBeNull();
          expect(r.errors?.map((e) => [e.extensions['code'], e.path?.join('.')]), `${role} ${name}`).toEqual([['FORBIDDEN', name]]);
          expect(await writes(), `${role} ${name} wrote`).toEqual(before);
        }
      };

      const [a, b] = await freshPair();
      await check('mergeCustomers', 'mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [a, b] }, async () => {
        const r = await run('admin', 'query($id: ID!) { customer(id: $id) { id } }', { id: b });
        expect((r.data as { customer: { id: string } }).customer.id).not.toBe(b);
      });

      const [host] = await freshPair();
      const srcs = ((await run('admin', 'query($id: ID!) { customer(id: $id) { sources { system externalId } } }', { id: host })).data as { customer: { sources: { system: string; externalId: string }[] } }).customer.sources;
      const leaving = srcs[srcs.length - 1]!;
      await check('splitCustomer', 'mutation($id: ID!, $s: System!, $x: ID!) { splitCustomer(id: $id, system: $s, externalId: $x) { id } }', { id: host, s: leaving.system, x: leaving.externalId }, async () => {
        const after = ((await run('admin', 'query($id: ID!) { customer(id: $id) { sources { externalId } } }', { id: host })).data as { customer: { sources: { externalId: string }[] } }).customer.sources;
        expect(after.map((s) => s.externalId)).not.toContain(leaving.externalId);
      });

      const open = ((await run('admin', '{ reviewQueue(first: 100) { edges { node { id } } } }')).data as { reviewQueue: { edges: { node: { id: string } }[] } }).reviewQueue.edges;
      expect(open.length).toBeGreaterThan(0);
      const item = open[0]!.node.id;
      await check('resolveReview', 'mutation($id: ID!) { resolveReview(id: $id, decision: { action: DISMISS, note: "matrix" }) { id status } }', { id: item }, async () => {
        const r = await run('admin', '{ reviewQueue(status: DISMISSED, first: 100) { edges { node { id } } } }');
        expect((r.data as { reviewQueue: { edges: { node: { id: string } }[] } }).reviewQueue.edges.map((e) => e.node.id)).toContain(item);
      });

      const [linked] = await freshPair();
      const rec = ((await run('admin', 'query($id: ID!) { customer(id: $id) { sources { system externalId } } }', { id: linked })).data as { customer: { sources: { system: string; externalId: string }[] } }).customer.sources[0]!;
      await check('linkSourceRecord', 'mutation($s: System!, $x: ID!) { linkSourceRecord(system: $s, externalId: $x) { id } }', { s: rec.system, x: rec.externalId }, () => Promise.resolve());
    });
  }

  it("a mutation's answer follows the read rules: an allowed merge shows the steward no financial field", async () => {
    const [a, b] = await freshPair();
    const r = await run('steward', 'mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id name email contractValue { amount } } }', { ids: [a, b] });
    expect(forbiddenPaths(r.errors)).toEqual(['mergeCustomers.contractValue']);
    expect(r.data).toMatchObject({ mergeCustomers: { id: a, contractValue: null } });
  });

  it('a request without a role is refused at every root field (UNAUTHENTICATED), nothing read', async () => {
    const r = await run(null, 'query($id: ID!) { customer(id: $id) { id name } customers(first: 1) { totalCount } }', { id: rich });
    expect(r.data).toBeNull();
    expect(new Set(r.errors?.map((e) => e.extensions['code']))).toEqual(new Set(['UNAUTHENTICATED']));
    const m = await run(null, 'mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: ids.slice(0, 2) });
    expect(m.errors?.map((e) => e.extensions['code'])).toEqual(['UNAUTHENTICATED']);
  });

  it('answers that read guarded fields may be cached only because the response cache is keyed by role', async () => {
    // The gateway's schema: http.ts keys the response cache by role, so they may be kept.
    const keyed = app.context('c1', principal('agent'));
    await run('agent', 'query($id: ID!) { customer(id: $id) { id email } }', { id: rich }, keyed);
    expect(keyed.cacheability.ok).toBe(true);
    // A server whose cache is not keyed by role: any answer that read a guarded field stays out.
    const unkeyed = withAccessRules(makeExecutableSchema({ typeDefs: await loadTypeDefs(), resolvers: resolvers as never }), app.services.spec, { responseCacheKeyedByRole: false });
    for (const [q, ok] of [['{ customer(id: "ID") { id name company } }', true], ['{ customer(id: "ID") { email } }', false], ['{ customer(id: "ID") { lineage { field value } } }', false], ['{ customer(id: "ID") { lineage { candidates { value } } } }', false]] as const) {
      const ctx = app.context('c2', principal('admin'));
      const r = (await execute({ schema: unkeyed, document: parse(q.replace('ID', rich)), contextValue: ctx }));
      expect(r.errors).toBeUndefined();
      expect(ctx.cacheability.ok, q).toBe(ok);
    }
  });

  it('graphql-jit running the same schema enforces the same rules (the executor the gateway is moving to)', async () => {
    const plain = (r: ExecutionResult): unknown => JSON.parse(JSON.stringify({ data: r.data, errors: (r.errors ?? []).map((e) => ({ message: e.message, path: e.path, code: e.extensions?.['code'] })) }));
    for (const role of ['agent', 'reader'] as const) {
      for (const name of ['profile', 'related', 'lineage', 'review'] as const) {
        const document = parse(READS[name]!);
        const compiled = compileQuery(app.schema, document);
        if (!isCompiledQuery(compiled)) throw new Error(`${name} did not compile: ${JSON.stringify(compiled)}`);
        const jit = (await compiled.query(undefined, app.context('jit', principal(role)), { id: rich })) as ExecutionResult;
        const js = await run(role, READS[name]!, { id: rich });
        expect(forbiddenPaths(js.errors).length, `${role} ${name} hides something`).toBeGreaterThan(0);
        expect(plain(jit), `${role} × ${name}`).toEqual(plain(js));
      }
    }
  });

  describe('subscriptions (the real customerChanged and syncStatus; reviewQueueChanged as it will come)', () => {
    const SDL = `extend type Subscription {
      reviewQueueChanged: ReviewItem! @access(class: REVIEW)
    }`;
    const schemaWithSubscriptions = async (): Promise<ReturnType<typeof withAccessRules>> => {
      const sub = {
        Subscription: {
          reviewQueueChanged: {
            subscribe: async function* (_p: unknown, _a: unknown, ctx: GatewayContext) {
              const page = await ctx.services.reviews.list({ status: 'OPEN', first: 1, after: null });
              yield { reviewQueueChanged: page.edges[0]!.node };
            },
          },
        },
      };
      return withAccessRules(makeExecutableSchema({ typeDefs: [...(await loadTypeDefs()), SDL], resolvers: [resolvers as never, sub] }), app.services.spec);
    };
    /** The first event: once subscribed (the subscription is listening when subscribe() answers), `publish` sends it. */
    const first = async (schema: Awaited<ReturnType<typeof schemaWithSubscriptions>>, role: Role, query: string, variables: Record<string, unknown> = {}, publish?: () => Promise<void>): Promise<ExecutionResult> => {
      const r = await subscribe({ schema, document: parse(query), variableValues: variables, contextValue: app.context(`sub-${role}`, principal(role)) });
      if (!(Symbol.asyncIterator in r)) return r;
      const next = r.next();
      await publish?.();
      const { value } = await next;
      await r.return?.();
      return value as ExecutionResult;
    };
    const changed = (id: string) => (): Promise<void> => app.pubsub.publish(CUSTOMER_CHANGED_CHANNEL, { customerId: id, at: new Date().toISOString() });

    for (const role of ROLES) {
      it(`${role}: events carry the admin's payload minus what ${role} may not read; reviewQueueChanged ${may(role, 'REVIEW') ? 'allowed' : 'refused at subscribe'}`, async () => {
        const schema = await schemaWithSubscriptions();
        const q = 'subscription($id: ID!) { customerChanged(id: $id) { id name email contractValue { amount } tickets(first: 1) { totalCount } lineage { field value } } }';
        const admin = await first(schema, 'admin', q, { id: rich }, changed(rich));
        expect(admin.errors).toBeUndefined();
        const want = expectedFor(role, admin.data, 'Subscription');
        const got = await first(schema, role, q, { id: rich }, changed(rich));
        expect(forbiddenPaths(got.errors)).toEqual(want.forbidden);
        expect(got.data).toEqual(want.data);

        const rq = await first(schema, role, 'subscription { reviewQueueChanged { id status records { customer { id email paymentStatus } } } }');
        if (may(role, 'REVIEW')) {
          expect(forbiddenPaths(rq.errors)).toEqual(may(role, 'FINANCIAL') ? [] : ['reviewQueueChanged.records.0.customer.paymentStatus', 'reviewQueueChanged.records.1.customer.paymentStatus']);
          expect(rq.data).not.toBeNull();
        } else {
          expect(rq.errors?.map((e) => [e.extensions['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'reviewQueueChanged']]);
        }

        // syncStatus: CONTACT (whoever may change contact data may follow the writes).
        const event = { customerId: rich, system: 'stripe', recordId: 'cus_1', outboxId: `ob_${role}`, state: 'QUEUED', fields: ['phone'], error: null, at: new Date().toISOString() };
        const ss = await first(schema, role, 'subscription($id: ID!) { syncStatus(customerId: $id) { customerId system outboxId state fields } }', { id: rich }, () => app.pubsub.publish(SYNC_STATUS_CHANNEL, event));
        if (may(role, 'CONTACT')) {
          expect(ss.errors, role).toBeUndefined();
          expect(ss.data).toEqual({ syncStatus: { customerId: rich, system: 'STRIPE', outboxId: `ob_${role}`, state: 'QUEUED', fields: ['phone'] } });
        } else {
          expect(ss.errors?.map((e) => [e.extensions['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'syncStatus']]);
        }
      });
    }
  });

  describe('two-way sync operations (issue #10)', () => {
    const SYNC_OPS: Record<string, Class> = { updateCustomer: 'CONTACT', syncCustomer: 'LINKING', syncOverview: 'OPERATIONS' };
    const intents = async (): Promise<number> => Number((await app.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${app.store.table('sync_intents')}`)).rows[0]!.n);

    for (const role of ROLES) {
      const allowed = Object.entries(SYNC_OPS).filter(([, c]) => may(role, c)).map(([m]) => m);
      it(`${role} × sync: ${allowed.join(', ') || 'none'} allowed; every other one FORBIDDEN, recording and queueing nothing`, async () => {
        const id = ids[60 + ROLES.indexOf(role)]!;
        const survivor = await app.services.identity.resolve(id);
        const before = { intents: await intents(), routed: routed.length, enqueued: enqueued.length };
        const u = await run(role, 'mutation($id: ID!, $k: String!) { updateCustomer(id: $id, input: { phone: "+14155550134" }, idempotencyKey: $k) { intentId jobs { system fields } } }', { id, k: `matrix-${role}` });
        if (may(role, 'CONTACT')) {
          expect(u.errors, role).toBeUndefined();
          expect(await intents()).toBe(before.intents + 1);
          expect(routed.slice(before.routed)).toEqual([survivor]);
        } else {
          expect(u.data).toBeNull();
          expect(u.errors?.map((e) => [e.extensions['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'updateCustomer']]);
          expect(await intents()).toBe(before.intents);
          expect(routed).toHaveLength(before.routed);
        }

        const s = await run(role, 'mutation($id: ID!) { syncCustomer(id: $id) { customerId changes { system externalId } } }', { id });
        if (may(role, 'LINKING')) {
          expect(s.errors, role).toBeUndefined();
          expect(enqueued.length).toBeGreaterThan(before.enqueued);
        } else {
          expect(s.errors?.map((e) => [e.extensions['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'syncCustomer']]);
          expect(enqueued).toHaveLength(before.enqueued);
        }

        const o = await run(role, '{ syncOverview { pipelineKnown systems { system health } } customers(first: 1) { totalCount } }');
        expect((o.data as { customers: { totalCount: number } }).customers.totalCount).toBeGreaterThan(0);
        if (may(role, 'OPERATIONS')) {
          expect(o.errors, role).toBeUndefined();
          expect((o.data as { syncOverview: { systems: unknown[] } }).syncOverview.systems).toHaveLength(6);
        } else {
          expect(forbiddenPaths(o.errors)).toEqual(['syncOverview']);
          expect((o.data as { syncOverview: unknown }).syncOverview).toBeNull();
        }
      });
    }

    it('refuses every mutation of an operation when the role may not call one of them, through fragments, honouring @skip and @include', async () => {
      const id = ids[70]!;
      const [a, b] = [ids[72]!, ids[73]!];
      const before = { intents: await intents(), routed: routed.length, writes: await writes() };
      const doc = `mutation($id: ID!, $ids: [ID!]!, $merge: Boolean!) {
        u: updateCustomer(id: $id, input: { phone: "+14155550188" }, idempotencyKey: "both-${Math.random()}") { intentId }
        ...M
      }
      fragment M on Mutation { m: mergeCustomers(ids: $ids) @include(if: $merge) { id } }`;
      for (const role of ['agent', 'approver', 'service'] as const) {
        const r = await run(role, doc, { id, ids: [a, b], merge: true });
        expect(r.data, role).toBeNull();
        // Refused at the first root: a non-null root's error ends a mutation's serial run.
        expect(r.errors?.map((e) => [e.extensions['code'], e.path?.join('.')]), role).toEqual([['FORBIDDEN', 'u']]);
        expect(r.errors?.[0]?.message, role).toMatch(/may not call Mutation\.updateCustomer in an operation that also calls Mutation\.mergeCustomers; nothing in it ran \(STEWARDSHIP\)$/);
      }
      expect(await intents()).toBe(before.intents);
      expect(routed).toHaveLength(before.routed);
      expect(await writes()).toEqual(before.writes);
      // The refused mutation left out by @include: the update runs.
      const r = await run('agent', doc, { id, ids: [a, b], merge: false });
      expect(r.errors).toBeUndefined();
      expect(await intents()).toBe(before.intents + 1);
    });

    it('an input field follows its canonical field\'s class: setting it needs the class, as reading it does', () => {
      // Every role that may call updateCustomer holds CONTACT, which email, phone and address need;
      // what the plan derived for the input is what a FINANCIAL input field would get too.
      const plan = planAccess(app.schema, app.services.spec);
      const inputs = plan.fields.get('Mutation.updateCustomer')!.inputs;
      const input = inputs.find((g) => g.name === 'input')!;
      expect(Object.fromEntries(input.inner.map((g) => [g.name, g.cls]))).toEqual({ email: 'CONTACT', phone: 'CONTACT', address: 'CONTACT' });
    });
  });
});
