// Access settings are refused as a whole, naming the variable, and never echo a key.
import { describe, expect, it } from 'vitest';
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { hashApiKey } from '../../src/access/api-key.ts';
import { configProblems as problems } from '../support/config.ts';

describe('access configuration', () => {
  it('reads MERIDIAN_API_KEYS as key:role pairs and keeps only hashes', () => {
    const c = readGatewayConfig({ MERIDIAN_API_KEYS: ' first-key-0123456789:admin , second-key-0123456789:service ,' });
    expect(c.access.apiKeys).toEqual([
      { hash: hashApiKey('first-key-0123456789'), role: 'admin' },
      { hash: hashApiKey('second-key-0123456789'), role: 'service' },
    ]);
    expect(JSON.stringify(c)).not.toContain('first-key-0123456789');
  });

  it('names each bad MERIDIAN_API_KEYS entry without echoing a key, even one written the wrong way round', () => {
    const p = problems({ MERIDIAN_API_KEYS: 'good-key-0123456789:reader,admin:secret-key-wrong-way-round,short:admin,no-role-here-0123456789,good-key-0123456789:agent' });
    expect(p).toEqual([
      expect.stringMatching(/^MERIDIAN_API_KEYS: entry 2 of 5 has no known role/),
      expect.stringMatching(/^MERIDIAN_API_KEYS: entry 3 of 5 has a key that is not 16 to 512 characters/),
      expect.stringMatching(/^MERIDIAN_API_KEYS: entry 4 of 5 is not key:role/),
      expect.stringMatching(/^MERIDIAN_API_KEYS: entry 5 of 5 repeats an earlier key/),
    ]);
    for (const secret of ['good-key-0123456789', 'secret-key-wrong-way-round', 'short', 'no-role-here']) expect(p.join('\n')).not.toContain(secret);
  });

  it('asks for the whole JWT setting when part of it is given, and refuses a key set over plain http elsewhere than localhost', () => {
    expect(problems({ MERIDIAN_JWT_ISSUER: 'https://idp/' })).toEqual([expect.stringMatching(/^MERIDIAN_JWT_AUDIENCE, MERIDIAN_JWT_JWKS_URL: needed to verify JWT bearer tokens/)]);
    const p = problems({ MERIDIAN_JWT_ISSUER: 'https://idp/', MERIDIAN_JWT_AUDIENCE: 'm', MERIDIAN_JWT_JWKS_URL: 'http://idp.example.com/jwks', MERIDIAN_JWT_ALGORITHMS: 'RS256,none,HS256' });
    expect(p.join('\n')).toMatch(/MERIDIAN_JWT_JWKS_URL: must be an https:\/\/ URL/);
    expect(p.join('\n')).toMatch(/MERIDIAN_JWT_ALGORITHMS: "none", "HS256" not accepted/);
    const ok = readGatewayConfig({ MERIDIAN_JWT_ISSUER: 'https://idp/', MERIDIAN_JWT_AUDIENCE: 'm', MERIDIAN_JWT_JWKS_URL: 'https://idp/jwks' });
    expect(ok.access.jwt).toMatchObject({ roleClaim: 'role', algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'], jwksTimeoutMs: 2000 });
  });

  it('checks MERIDIAN_AUTH, MERIDIAN_ALLOWED_ORIGINS and MERIDIAN_INTROSPECTION; introspection is for admins in production', () => {
    expect(problems({ MERIDIAN_AUTH: 'no', MERIDIAN_ALLOWED_ORIGINS: 'https://a.example,https://b.example/path', MERIDIAN_INTROSPECTION: 'everyone' }).join('\n')).toMatch(
      /MERIDIAN_AUTH: must be on or off[\s\S]*MERIDIAN_INTROSPECTION: must be admin or all[\s\S]*MERIDIAN_ALLOWED_ORIGINS: "https:\/\/b.example\/path" is not an origin/,
    );
    expect(readGatewayConfig({}).access).toMatchObject({ mode: 'on', introspection: 'all', allowedOrigins: [] });
    expect(readGatewayConfig({ NODE_ENV: 'production' }).access.introspection).toBe('admin');
    expect(readGatewayConfig({ NODE_ENV: 'production', MERIDIAN_INTROSPECTION: 'all' }).access.introspection).toBe('all');
  });
});
