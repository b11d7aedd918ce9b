// The limits' policy without a server: who is counted under which key, which rule and cost
// limit a principal gets (per role when configured; anonymous callers the defaults), and the
// settings as parsed from the environment. Time is an injected clock.
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, type GraphQLSchema } from 'graphql';
import { loadSchema } from '../../src/app.ts';
import { loadFieldSpec } from '../../src/mapping/index.ts';
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { limitsConfig } from '../../src/config/limits.ts';
import { ConfigError } from '../../src/config/env.ts';
import type { Principal } from '../../src/access/principal.ts';
import { AUTH_OFF } from '../../src/access/authenticate.ts';
import { createManualClock } from '../../src/resilience/clock.ts';
import { BlockList } from 'node:net';
import { buildCostModel, clientAddressOf, clientNetwork, createGatewayLimits, createMemoryRateLimitStore, rateKey } from '../../src/limits/index.ts';

const service: Principal = { kind: 'api-key', id: 'key_1', name: 'billing-sync', role: 'service' };
const reader: Principal = { kind: 'api-key', id: 'key_2', name: 'dashboard', role: 'reader' };
const configOf = (env: Record<string, string>) => limitsConfig(readGatewayConfig({ MERIDIAN_SANDBOX: '1', ...env }).env);

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await loadSchema(loadFieldSpec(undefined));
});

const limitsWith = (env: Record<string, string>) => {
  const clock = createManualClock(1_765_000_000_000);
  const refusals: string[] = [];
  const limits = createGatewayLimits({
    config: configOf(env),
    model: buildCostModel(loadFieldSpec(undefined), ['salesforce', 'stripe', 'zendesk', 'erp']),
    store: createMemoryRateLimitStore(),
    clock,
    onRefused: (code, where) => refusals.push(`${where} ${code}`),
  });
  return { limits, clock, refusals };
};

describe('who is counted', () => {
  it('counts an authenticated principal by its id, an anonymous caller by its address', () => {
    expect(rateKey(service, '10.0.0.1')).toBe('principal:key_1');
    expect(rateKey(AUTH_OFF, '10.0.0.1')).toBe('address:10.0.0.1');
  });

  it('counts IPv4-mapped addresses as IPv4, and an IPv6 address by its /64', () => {
    expect(clientNetwork('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientNetwork('2001:db8:85a3:7:8a2e:370:7334:1')).toBe('2001:db8:85a3:7::/64');
    expect(clientNetwork('2001:db8:85a3:7::1')).toBe('2001:db8:85a3:7::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork(undefined)).toBe('unknown');
  });
});

describe('behind proxies', () => {
  const proxies = new BlockList();
  proxies.addSubnet('10.0.0.0', 8, 'ipv4');
  proxies.addAddress('192.0.2.1', 'ipv4');

  it('reads X-Forwarded-For only from a trusted proxy, taking the nearest hop that is not one', () => {
    expect(clientAddressOf(proxies, '10.1.2.3', '203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressOf(proxies, '::ffff:10.1.2.3', '203.0.113.7')).toBe('203.0.113.7');
    // The client claims an address on the left; the load balancer appended what it saw.
    expect(clientAddressOf(proxies, '10.1.2.3', '1.1.1.1, 203.0.113.7, 192.0.2.1')).toBe('203.0.113.7');
    expect(clientAddressOf(proxies, '10.1.2.3', ['1.1.1.1', '203.0.113.7'])).toBe('203.0.113.7');
    // Not from a trusted proxy: the header is the client's claim, ignored.
    expect(clientAddressOf(proxies, '198.51.100.9', '203.0.113.7')).toBe('198.51.100.9');
    expect(clientAddressOf(null, '10.1.2.3', '203.0.113.7')).toBe('10.1.2.3');
    // Only proxies in the chain: the farthest one; something not an address: the last proxy.
    expect(clientAddressOf(proxies, '10.1.2.3', '10.9.9.9, 192.0.2.1')).toBe('10.9.9.9');
    expect(clientAddressOf(proxies, '10.1.2.3', 'unknown')).toBe('10.1.2.3');
    expect(clientAddressOf(proxies, '10.1.2.3', undefined)).toBe('10.1.2.3');
  });

  it('reads MERIDIAN_TRUSTED_PROXIES as addresses and CIDR blocks, and names a bad one', () => {
    expect(configOf({ MERIDIAN_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.1,fd00::/8' }).trustedProxies).toEqual([
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '192.0.2.1', prefix: 32, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    expect(configOf({}).trustedProxies).toEqual([]);
    expect(() => configOf({ MERIDIAN_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/MERIDIAN_TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not an address or CIDR block/);
  });
});

describe('rules per role', () => {
  it('gives a role its own rate, anonymous callers the default, and refuses with the variable that applies', async () => {
    const { limits, clock } = limitsWith({ MERIDIAN_RATE_LIMIT: '2/min', MERIDIAN_RATE_LIMIT_SERVICE: '4/min', MERIDIAN_RATE_LIMIT_ADMIN: 'off' });
    const take = async (p: Principal, n: number) => {
      const out: (string | null)[] = [];
      for (let i = 0; i < n; i++) out.push((await limits.admitRequest(p, '10.0.0.1'))?.message ?? null);
      return out;
    };
    expect((await take(service, 5)).map((m) => m !== null)).toEqual([false, false, false, false, true]);
    expect((await take(service, 1))[0]).toBe('Too many requests for billing-sync; retry after 15 s (MERIDIAN_RATE_LIMIT_SERVICE). Nothing was executed.');
    expect((await take(reader, 3)).map((m) => m !== null)).toEqual([false, false, true]);
    // MERIDIAN_AUTH=off: the admin role, but anonymous: the default rule, by address.
    expect((await take(AUTH_OFF, 3))[2]).toBe('Too many requests from this address; retry after 30 s (MERIDIAN_RATE_LIMIT). Nothing was executed.');
    expect(await limits.admitRequest({ ...service, id: 'key_admin', role: 'admin' }, '10.0.0.1')).toBeNull();
    clock.advance(30_000);
    expect(await limits.admitRequest(reader, '10.0.0.1')).toBeNull();
  });

  it('gives a role its own cost limit', () => {
    const { limits, refusals } = limitsWith({ MERIDIAN_MAX_COST: '100', MERIDIAN_MAX_COST_SERVICE: '1000' });
    const doc = parse('{ customers(first: 100) { edges { node { id name } } } }'); // 501
    expect(limits.checkOperation(schema, doc, null, {}, AUTH_OFF)?.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: 501, limit: 100 });
    expect(limits.checkOperation(schema, doc, null, {}, service)).toBeNull();
    expect(limits.checkOperation(schema, doc, null, {}, reader)?.extensions).toMatchObject({ limit: 100 });
    // Each refusal is reported once (metrics).
    expect(refusals).toEqual(['operation COST_LIMIT_EXCEEDED', 'operation COST_LIMIT_EXCEEDED']);
  });
});

describe('settings', () => {
  it('has defaults that fit the demo, and reads rules as <n>/<period> or off', () => {
    expect(configOf({})).toMatchObject({ maxCost: 20_000, maxDepth: 12, maxAliases: 200, maxDocumentBytes: 100_000, maxDocumentTokens: 20_000, rate: { limit: 6000, periodMs: 60_000 }, webhookRate: { limit: 6000, periodMs: 60_000 } });
    expect(configOf({ MERIDIAN_RATE_LIMIT: '20/s', MERIDIAN_RATE_LIMIT_READER: 'off', MERIDIAN_WEBHOOK_RATE_LIMIT: '100/h' })).toMatchObject({
      rate: { limit: 20, periodMs: 1_000 },
      rateByRole: { reader: null },
      webhookRate: { limit: 100, periodMs: 3_600_000 },
    });
  });

  it('names every bad limit variable in one message', () => {
    let error: unknown;
    try {
      configOf({ MERIDIAN_RATE_LIMIT: 'fast', MERIDIAN_MAX_COST: '0', MERIDIAN_RATE_LIMIT_SERVICE: '10/week' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/MERIDIAN_RATE_LIMIT: must be off or <requests>\/<period> with period s, min or h, e\.g\. 600\/min \(got "fast"\)/);
    expect(problems).toMatch(/MERIDIAN_RATE_LIMIT_SERVICE: must be off or/);
    expect(problems).toMatch(/MERIDIAN_MAX_COST: /);
  });
});
