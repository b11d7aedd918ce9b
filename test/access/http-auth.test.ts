// API keys on GraphQL over HTTP: no credentials, wrong ones and revoked ones are refused with
// UNAUTHENTICATED (401 and a Bearer challenge) before anything executes; keys from the key
// store (real Postgres), MERIDIAN_API_KEYS and the local admin key name the principal; only a
// hash is stored; introspection is for admins unless opened to every role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import { createKeyStore, type KeyStore } from '../../src/access/key-store.ts';
import { hashApiKey } from '../../src/access/api-key.ts';
import { readAccessSettings } from '../../src/config/access.ts';
import { AccessDeniedError, AuthenticationError, authenticateFor, createAuthenticator } from '../../src/access/authenticate.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';
import { post, startTinyGateway, type Answer, type TinyGateway } from './tiny-gateway.ts';

const BOOTSTRAP = 'bootstrap-reader-key-0123456789';
const LOCAL = 'mrd_local-admin-key-for-this-test-only-000000';

describe('API keys over HTTP', () => {
  let pg: TestPostgres;
  let store: Store;
  let keys: KeyStore;
  let gw: TinyGateway;
  const schema = uniqueSchema('authn');
  beforeAll(async () => {
    pg = await testPostgres();
    store = createStore(pg.url, { schema, max: 2 });
    await store.migrate();
    keys = createKeyStore(store);
    // Revocation is seen at once here (the gateway's default reuses a lookup for 10 s).
    gw = await startTinyGateway({ keys, keyCacheMs: 0, localKey: LOCAL, access: { apiKeys: readAccessSettings({ MERIDIAN_API_KEYS: `${BOOTSTRAP}:reader` }).apiKeys } });
  });
  afterAll(async () => {
    await gw?.close();
    await store?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await store?.close();
    await pg?.close();
  });

  it('refuses a request without credentials with 401, a Bearer challenge and UNAUTHENTICATED, executing nothing', async () => {
    for (const query of ['mutation { touch }', '{ whoami { name } }']) {
      const r = await post(gw.url, query);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="meridian"');
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors?.[0]?.message).toMatch(/Authorization: Bearer/);
      expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(r.body.data).toBeUndefined();
    }
    const get = await fetch(`${gw.url}/graphql?query=${encodeURIComponent('{ whoami { name } }')}`);
    expect(get.status).toBe(401);
    expect(gw.executed).toBe(0);
  });

  it('refuses unknown, malformed and revoked keys, and never logs a key', async () => {
    const unknown = await post(gw.url, 'mutation { touch }', { authorization: 'Bearer not-a-key-anyone-made-0000' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer realm="meridian", error="invalid_token"/);
    expect(unknown.body.errors?.[0]).toMatchObject({ message: 'API key not recognised (unknown or revoked)', extensions: { code: 'UNAUTHENTICATED' } });
    const basic = await post(gw.url, 'mutation { touch }', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);

    const { key } = await keys.create({ name: 'ops-bot', role: 'service' });
    expect((await post(gw.url, '{ whoami { name } }', { authorization: `Bearer ${key}` })).status).toBe(200);
    await keys.revoke('ops-bot');
    const revoked = await post(gw.url, 'mutation { touch }', { authorization: `Bearer ${key}` });
    expect(revoked.status).toBe(401);
    expect(revoked.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(gw.executed).toBe(1); // only the whoami while the key was valid
    expect(gw.log.join('\n')).not.toContain(key);
  });

  it('names the principal: a stored key by its name and id, a MERIDIAN_API_KEYS key by its hash, the local admin key', async () => {
    const { key, record } = await keys.create({ name: 'steward-ana', role: 'steward' });
    const who = async (k: string): Promise<unknown> => (await post(gw.url, '{ whoami { kind id name role } }', { authorization: `Bearer ${k}` })).body.data?.['whoami'];
    expect(await who(key)).toEqual({ kind: 'api-key', id: record.id, name: 'steward-ana', role: 'steward' });
    const label = `env-key-${hashApiKey(BOOTSTRAP).slice(0, 12)}`;
    expect(await who(BOOTSTRAP)).toEqual({ kind: 'api-key', id: label, name: label, role: 'reader' });
    expect(await who(LOCAL)).toEqual({ kind: 'local', id: 'local-admin', name: 'local-admin', role: 'admin' });
    // The id is never the secret.
    expect(JSON.stringify([await who(key), await who(BOOTSTRAP)])).not.toMatch(new RegExp(`${key}|${BOOTSTRAP}`));
  });

  it('stores only the SHA-256 of a key, never the key', async () => {
    const { key, record } = await keys.create({ name: 'hash-check', role: 'reader' });
    const rows = await store.query(`SELECT * FROM ${store.table('api_keys')} WHERE id = $1`, [record.id]);
    expect(JSON.stringify(rows.rows)).not.toContain(key);
    expect(rows.rows[0]).toMatchObject({ name: 'hash-check', role: 'reader', key_hash: hashApiKey(key), revoked_at: null });
  });

  it('keeps a name unique among keys in use, and frees it on revocation', async () => {
    await keys.create({ name: 'dup', role: 'agent' });
    await expect(keys.create({ name: 'dup', role: 'agent' })).rejects.toThrow(/named "dup" is in use/);
    await keys.revoke('dup');
    await expect(keys.create({ name: 'dup', role: 'agent' })).resolves.toMatchObject({ record: { name: 'dup' } });
    await expect(keys.revoke('no-such-key')).rejects.toThrow(/no key in use has the name or id "no-such-key"/);
  });
});

describe('introspection', () => {
  const ADMIN = 'introspection-admin-key-000';
  const READER = 'introspection-reader-key-00';
  const apiKeys = readAccessSettings({ MERIDIAN_API_KEYS: `${ADMIN}:admin,${READER}:reader` }).apiKeys;
  let adminOnly: TinyGateway;
  let open: TinyGateway;
  beforeAll(async () => {
    adminOnly = await startTinyGateway({ keys: null, access: { apiKeys }, introspection: 'admin' });
    open = await startTinyGateway({ keys: null, access: { apiKeys }, introspection: 'all' });
  });
  afterAll(async () => {
    await adminOnly?.close();
    await open?.close();
  });
  const SCHEMA_QUERY = '{ __schema { queryType { name } } }';
  const TYPE_QUERY = 'query { ...F } fragment F on Query { __type(name: "Who") { name } }';

  it('answers admins, and refuses other roles with FORBIDDEN when it is for admins', async () => {
    expect((await post(adminOnly.url, SCHEMA_QUERY, { authorization: `Bearer ${ADMIN}` })).body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    for (const q of [SCHEMA_QUERY, TYPE_QUERY]) {
      const r = await post(adminOnly.url, q, { authorization: `Bearer ${READER}` });
      expect(r.status).toBe(403);
      expect(r.body.errors?.[0]?.message).toMatch(/Introspection is for admins.*MERIDIAN_INTROSPECTION=all/);
      expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
    }
    // __typename is not introspection.
    expect((await post(adminOnly.url, '{ __typename }', { authorization: `Bearer ${READER}` })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('tells a role that may not introspect no field names in "Did you mean" suggestions; admins and an open gateway still get them', async () => {
    const TYPO = '{ whoamI { kind } }';
    const reader = await post(adminOnly.url, TYPO, { authorization: `Bearer ${READER}` });
    expect(reader.status).toBe(400);
    expect(reader.body.errors?.[0]?.message).toBe('Cannot query field "whoamI" on type "Query".');
    const admin = await post(adminOnly.url, TYPO, { authorization: `Bearer ${ADMIN}` });
    expect(admin.body.errors?.[0]?.message).toMatch(/^Cannot query field "whoamI" on type "Query"\. Did you mean "whoami"\?$/);
    const opened = await post(open.url, TYPO, { authorization: `Bearer ${READER}` });
    expect(opened.body.errors?.[0]?.message).toMatch(/Did you mean "whoami"\?$/);
  });

  it('answers every role when opened to all', async () => {
    expect((await post(open.url, TYPE_QUERY, { authorization: `Bearer ${READER}` })).body).toEqual({ data: { __type: { name: 'Who' } } });
  });
});

describe('authenticateFor (routes besides GraphQL, e.g. /metrics)', () => {
  const SERVICE = 'metrics-scraper-key-0123456';
  const AGENT = 'support-agent-key-012345678';
  const authenticator = createAuthenticator({ keys: null, access: { mode: 'on', jwt: null, apiKeys: readAccessSettings({ MERIDIAN_API_KEYS: `${SERVICE}:service,${AGENT}:agent` }).apiKeys } });

  it('lets the listed roles in, refuses others with 403 and the unauthenticated with 401', async () => {
    await expect(authenticateFor(authenticator, { authorization: `Bearer ${SERVICE}` }, ['admin', 'service'])).resolves.toMatchObject({ role: 'service' });
    await expect(authenticateFor(authenticator, { authorization: `Bearer ${AGENT}` }, ['admin', 'service'])).rejects.toBeInstanceOf(AccessDeniedError);
    const none = await authenticateFor(authenticator, {}, ['admin', 'service']).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(AuthenticationError);
    expect((none as AuthenticationError).httpStatus).toBe(401);
  });
});

describe('the response cache and roles', () => {
  it("never answers one role with another role's stored answer, and never answers without credentials", async () => {
    const READER = 'cache-reader-key-0123456789';
    const ADMIN = 'cache-admin-key-01234567890';
    const gw = await startTinyGateway({ keys: null, responseCache: true, access: { apiKeys: readAccessSettings({ MERIDIAN_API_KEYS: `${READER}:reader,${ADMIN}:admin` }).apiKeys } });
    try {
      const ask = async (key: string | null): Promise<Answer> => post(gw.url, '{ whoami { role } }', key ? { authorization: `Bearer ${key}` } : {});
      expect((await ask(READER)).body.data).toEqual({ whoami: { role: 'reader' } });
      expect((await ask(READER)).body.data).toEqual({ whoami: { role: 'reader' } });
      expect(gw.executed).toBe(1); // the second reader request was the stored answer
      expect((await ask(ADMIN)).body.data).toEqual({ whoami: { role: 'admin' } });
      expect((await ask(null)).status).toBe(401);
      expect(gw.executed).toBe(2);
    } finally {
      await gw.close();
    }
  });
});
