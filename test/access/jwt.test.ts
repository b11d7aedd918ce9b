// JWT bearer tokens verified with jose against a key set served by a local JWKS server
// (node:http on port 0): every forged, expired or misdirected token is refused with
// UNAUTHENTICATED (401 and an invalid_token challenge) before anything executes; a valid one
// names its subject and role. A key set that hangs or is down answers 503 within its timeout.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';
import { readAccessSettings } from '../../src/config/access.ts';
import { post, startTinyGateway, type TinyGateway } from './tiny-gateway.ts';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'meridian-test';

interface Jwks {
  url: string;
  requests: number;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json` };
}

async function jwksServer(keys: JWK[]): Promise<Jwks> {
  const state = { requests: 0 };
  const { server, url } = await listen((_req, res) => {
    state.requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  return {
    url,
    get requests() {
      return state.requests;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('JWT bearer tokens', () => {
  let signing: { privateKey: CryptoKey; publicKey: CryptoKey };
  let other: { privateKey: CryptoKey; publicKey: CryptoKey };
  let jwks: Jwks;
  let gw: TinyGateway;
  const now = Math.floor(Date.now() / 1000);

  const token = (claims: Record<string, unknown> = {}, options: { key?: CryptoKey; kid?: string; alg?: string } = {}): Promise<string> =>
    new SignJWT({ role: 'steward', ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer(typeof claims['iss'] === 'string' ? claims['iss'] : ISSUER)
      .setAudience(typeof claims['aud'] === 'string' ? claims['aud'] : AUDIENCE)
      .setSubject(typeof claims['sub'] === 'string' ? claims['sub'] : 'ana@example.test')
      .setIssuedAt(now - 60)
      .setExpirationTime(typeof claims['exp'] === 'number' ? claims['exp'] : now + 600)
      .sign(options.key ?? signing.privateKey);

  const settings = (jwksUrl: string, extra: Record<string, string> = {}) =>
    readAccessSettings({ MERIDIAN_JWT_ISSUER: ISSUER, MERIDIAN_JWT_AUDIENCE: AUDIENCE, MERIDIAN_JWT_JWKS_URL: jwksUrl, MERIDIAN_JWT_JWKS_TIMEOUT_MS: '300', ...extra }).jwt;

  beforeAll(async () => {
    signing = await generateKeyPair('RS256');
    other = await generateKeyPair('RS256');
    jwks = await jwksServer([{ ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }]);
    gw = await startTinyGateway({ keys: null, access: { jwt: settings(jwks.url, { MERIDIAN_JWT_ROLE_CLAIM: 'role' }) } });
  });
  afterAll(async () => {
    await gw?.close();
    await jwks?.close();
  });

  it('accepts a valid token: the subject is the name, issuer and subject the id, the role from the claim', async () => {
    const r = await post(gw.url, '{ whoami { kind id name role } }', { authorization: `Bearer ${await token()}` });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ whoami: { kind: 'jwt', id: `${ISSUER}#ana@example.test`, name: 'ana@example.test', role: 'steward' } });
    // An array of roles: the widest known one.
    const many = await post(gw.url, '{ whoami { role } }', { authorization: `Bearer ${await token({ role: ['reader', 'approver', 'unknown'] })}` });
    expect(many.body.data).toEqual({ whoami: { role: 'approver' } });
  });

  it('refuses expired, misdirected, forged, unsigned and roleless tokens with UNAUTHENTICATED, executing nothing', async () => {
    const before = gw.executed;
    const header = b64({ alg: 'none', typ: 'JWT' });
    const unsignedPayload = b64({ iss: ISSUER, aud: AUDIENCE, sub: 'mallory', role: 'admin', exp: now + 600 });
    const cases: [string, string, RegExp][] = [
      ['expired', await token({ exp: now - 3600 }), /token expired/],
      ['wrong audience', await token({ aud: 'someone-else' }), /audience/],
      ['wrong issuer', await token({ iss: 'https://evil.example.test/' }), /issuer/],
      ['wrong key, same kid', await token({}, { key: other.privateKey }), /signature does not verify/],
      ['unknown kid', await token({}, { key: other.privateKey, kid: 'k2' }), /signature does not verify/],
      ['alg none', `${header}.${unsignedPayload}.`, /algorithm not accepted|not a valid signed JWT/],
      ['alg none with a signature part', `${header}.${unsignedPayload}.c2ln`, /algorithm not accepted|not a valid signed JWT/],
      ['unknown role', await token({ role: 'superuser' }), /names no Meridian role/],
      ['no role', await token({ role: undefined }), /names no Meridian role/],
      ['garbage', 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AAAA', /not a valid signed JWT|signature does not verify/],
      // The subject becomes the audit's actor: a forged-looking line in a log or an audit view.
      ['a sub with a line break', await token({ sub: 'alice\nresolvedBy: admin' }), /sub claim must be at most 256 characters without control characters/],
      ['a sub of 1,000 characters', await token({ sub: 'a'.repeat(1000) }), /sub claim must be at most 256 characters/],
    ];
    for (const [what, t, message] of cases) {
      const r = await post(gw.url, 'mutation { touch }', { authorization: `Bearer ${t}` });
      expect(r.status, what).toBe(401);
      expect(r.headers.get('www-authenticate'), what).toMatch(/^Bearer realm="meridian", error="invalid_token", error_description="/);
      expect(r.body.errors?.[0]?.extensions, what).toEqual({ code: 'UNAUTHENTICATED' });
      expect(r.body.errors?.[0]?.message, what).toMatch(message);
    }
    expect(gw.executed).toBe(before);
  });

  it('refuses tokens on a gateway without JWT settings, saying so', async () => {
    const keysOnly = await startTinyGateway({ keys: null });
    try {
      const r = await post(keysOnly.url, '{ whoami { name } }', { authorization: `Bearer ${await token()}` });
      expect(r.status).toBe(401);
      expect(r.body.errors?.[0]?.message).toMatch(/JWT bearer tokens are not accepted by this gateway \(no MERIDIAN_JWT_\* settings\)/);
    } finally {
      await keysOnly.close();
    }
  });

  it('answers 503 within the key set timeout when the key set hangs, and when it is down, with a clear error', async () => {
    const sockets = new Set<Socket>();
    const hanging = await listen(() => undefined); // accepts, never answers
    hanging.server.on('connection', (s) => sockets.add(s));
    const down = await listen(() => undefined);
    await new Promise<void>((resolve) => down.server.close(() => resolve())); // nothing listens there now
    try {
      for (const [what, url, reason] of [
        ['hanging', hanging.url, /did not answer within 300 ms/],
        ['down', down.url, /could not be fetched/],
      ] as const) {
        const gwDown = await startTinyGateway({ keys: null, access: { jwt: settings(url) } });
        try {
          const r = await post(gwDown.url, 'mutation { touch }', { authorization: `Bearer ${await token()}` });
          expect(r.status, what).toBe(503);
          expect(r.headers.get('retry-after'), what).toBe('5');
          expect(r.body.errors?.[0]?.message).toMatch(/identity provider's key set is unavailable.*try again/);
          expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
          expect(r.body.errors?.[0]?.message, what).toMatch(reason);
          expect(gwDown.executed).toBe(0);
          expect(gwDown.log.join('\n'), what).toMatch(/JWT key set unavailable/);
        } finally {
          await gwDown.close();
        }
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => hanging.server.close(() => resolve()));
    }
  });
});
