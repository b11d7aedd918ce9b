// The gateway's Salesforce session against the sandbox's Salesforce: it logs in when needed and
// again after an outage, keeps the org id for webhook checks, treats refused credentials as
// configuration (and does not hammer the login with them), and a hanging login server costs
// one deadline. Calls are counted at the emulator.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { generateWorld } from '../../src/sandbox/world/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import type { SalesforceSettings } from '../../src/sources/salesforce/settings.ts';
import { SalesforceSession, createSalesforceConnector } from '../../src/sources/salesforce/index.ts';

describe('SalesforceSession', () => {
  let sf: SalesforceEmulator;
  let settings: SalesforceSettings;
  const sessions: SalesforceSession[] = [];
  const open = (overrides: Partial<SalesforceSettings['oauth'] & object> = {}, timeoutMs = 1_000): SalesforceSession => {
    const s = new SalesforceSession({ ...settings, oauth: { ...settings.oauth!, ...overrides } }, { timeoutMs, minRetryMs: 60_000 });
    sessions.push(s);
    return s;
  };
  const accountId = (): string => String(sf.store.list('Account')[0]!['Id']);
  const logins = (since: number): number => sf.requests.count({ operation: 'oauth.token', sinceSeq: since });

  beforeAll(async () => {
    sf = await startSalesforceEmulator({ data: generateWorld({ customers: 10, seed: 2 }).salesforce });
    const c = sf.credentials;
    settings = readSystemSettings({
      SALESFORCE_LOGIN_URL: sf.url,
      SALESFORCE_CLIENT_ID: c.clientId,
      SALESFORCE_CLIENT_SECRET: c.clientSecret,
      SALESFORCE_USERNAME: c.username,
      SALESFORCE_PASSWORD: c.password,
    }).salesforce!;
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
    sf.faults.reset();
  });
  afterAll(() => sf?.close());

  it('logs in once for many callers and knows the org id from the login', async () => {
    const since = sf.requests.lastSeq;
    const session = open();
    const [a, b] = await Promise.all([session.connection(), session.connection(), session.start()]);
    expect(a).toBe(b);
    expect(logins(since)).toBe(1);
    expect(session.state).toEqual({ status: 'connected', orgId: expect.stringMatching(/^00D/) as unknown });
    expect((await session.organizationId()).slice(0, 15)).toBe(sf.orgId.slice(0, 15));
  });

  it("takes a password login's org id from its answer, without asking the identity service, even when asked before logging in", async () => {
    const since = sf.requests.lastSeq;
    const session = open();
    const id = await session.organizationId();
    expect(id.slice(0, 15)).toBe(sf.orgId.slice(0, 15));
    expect(id).toHaveLength(18);
    expect(logins(since)).toBe(1);
    expect(sf.requests.count({ operation: 'identity', sinceSeq: since })).toBe(0);
  });

  it('is unavailable while Salesforce answers 503, and logs in when asked once it answers again', async () => {
    sf.faults.set({ outage: 'http' });
    const session = open();
    await session.start();
    expect(session.state).toMatchObject({ status: 'unavailable', reason: 'login answered HTTP 503' });
    const connector = createSalesforceConnector(session);
    const failed = await connector.loadAccounts([accountId()]);
    expect(failed[0]).toBeInstanceOf(Error);
    expect((failed[0] as Error & { publicReason?: string }).publicReason).toBe('login answered HTTP 503');
    sf.faults.reset();
    const [account] = await connector.loadAccounts([accountId()]);
    expect(account).toMatchObject({ system: 'salesforce' });
    expect(session.state.status).toBe('connected');
  });

  it('treats refused credentials as configuration and does not retry them on every request', async () => {
    const since = sf.requests.lastSeq;
    const session = open({ password: 'wrong' });
    await session.start();
    expect(session.state).toEqual({ status: 'refused', reason: 'login refused (invalid_grant)', variables: ['SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD'] });
    await expect(session.connection()).rejects.toThrow(/invalid_grant/);
    await expect(session.connection()).rejects.toThrow(/invalid_grant/);
    // Repeated failed logins lock a Salesforce user out: one attempt, not three.
    expect(logins(since)).toBe(1);
  });

  it('gives up on a hanging login server at its deadline', async () => {
    sf.faults.set({ outage: 'hang' });
    const session = open({}, 300);
    await session.start();
    expect(session.state).toEqual({ status: 'unavailable', reason: 'login: no answer within 300 ms' });
  });

  it('learns the org id of a given session from Salesforce, once, when first asked', async () => {
    const given = readSystemSettings({ SALESFORCE_INSTANCE_URL: sf.url, SALESFORCE_ACCESS_TOKEN: sf.credentials.accessToken }).salesforce!;
    const session = new SalesforceSession(given, { timeoutMs: 1_000 });
    sessions.push(session);
    const since = sf.requests.lastSeq;
    await session.start();
    expect(logins(since)).toBe(0);
    const [a, b] = await Promise.all([session.organizationId(), session.organizationId()]);
    expect(a.slice(0, 15)).toBe(sf.orgId.slice(0, 15));
    expect(b).toBe(a);
    expect(sf.requests.count({ operation: 'identity', sinceSeq: since })).toBe(1);
  });
});
