// A keep-alive connection sends the same Authorization header with every request, and the
// authenticator reuses that connection's answer (no hash, no cache lookup) while the key cache
// would hold it, never longer: a revoked key stops working on an open connection exactly when it
// would on a new one, and another header on the same connection, or another connection, gets its
// own answer. Real Postgres key store; the key store's lookups are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import { createKeyStore, type KeyStore } from '../../src/access/key-store.ts';
import { AuthenticationError, createAuthenticator } from '../../src/access/authenticate.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';

describe('authentication per connection', () => {
  let pg: TestPostgres;
  let store: Store;
  let keys: KeyStore;
  let lookups = 0;
  const schema = uniqueSchema('connauth');
  beforeAll(async () => {
    pg = await testPostgres();
    store = createStore(pg.url, { schema, max: 2 });
    await store.migrate();
    const real = createKeyStore(store);
    // Counts the key store's lookups (each one a hash and a query).
    keys = Object.assign(Object.create(real) as KeyStore, {
      findActiveByHash: (hash: string) => {
        lookups += 1;
        return real.findActiveByHash(hash);
      },
    });
  });
  afterAll(async () => {
    await store?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await store?.close();
    await pg?.close();
  });

  it('answers a connection as the key cache would: the same principal while it holds, a revoked key refused once it ends, other keys and connections on their own', async () => {
    let clock = 1_000_000;
    const authenticator = createAuthenticator({ access: { mode: 'on', jwt: null, apiKeys: [] }, keys, keyCacheMs: 10_000, now: () => clock });
    const { key } = await keys.create({ name: 'conn-bot', role: 'service' });
    const other = (await keys.create({ name: 'conn-bot-2', role: 'reader' })).key;
    const socket = {};
    const headers = { authorization: `Bearer ${key}` };
    lookups = 0;
    expect((await authenticator.authenticate(headers, socket)).name).toBe('conn-bot');
    expect((await authenticator.authenticate(headers, socket)).name).toBe('conn-bot');
    expect(lookups).toBe(1);
    // Another key on the same connection, and the first key on another connection: their own answers.
    expect((await authenticator.authenticate({ authorization: `Bearer ${other}` }, socket)).role).toBe('reader');
    expect((await authenticator.authenticate(headers, {})).role).toBe('service');
    expect(lookups).toBe(2); // the second connection used the key cache, as before

    await keys.revoke('conn-bot');
    const fresh = {};
    expect((await authenticator.authenticate(headers, fresh)).name).toBe('conn-bot'); // within the key cache's 10 s, as before
    clock += 10_001;
    await expect(authenticator.authenticate(headers, fresh)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(authenticator.authenticate(headers, socket)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('with no key cache, looks a key up on every request of an open connection, so a revocation is seen at once', async () => {
    const authenticator = createAuthenticator({ access: { mode: 'on', jwt: null, apiKeys: [] }, keys, keyCacheMs: 0 });
    const { key } = await keys.create({ name: 'conn-bot-3', role: 'service' });
    const socket = {};
    lookups = 0;
    for (let i = 0; i < 3; i++) await authenticator.authenticate({ authorization: `Bearer ${key}` }, socket);
    expect(lookups).toBe(3);
    await keys.revoke('conn-bot-3');
    await expect(authenticator.authenticate({ authorization: `Bearer ${key}` }, socket)).rejects.toBeInstanceOf(AuthenticationError);
  });
});
