// Credentials never reach a message or a log line; what is not a credential stays readable.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { hostOf, oneLine, redact } from '../../src/observability/redact.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { ConfigError } from '../../src/config/env.ts';

describe('redact', () => {
  it('hides passwords in URLs, with or without a scheme, and keeps user, host and path', () => {
    expect(redact('postgress://app:Pw@db.internal/x')).toBe('postgress://app:***@db.internal/x');
    expect(redact('got "redis://default:s3cr%40t@cache:6379/0"')).toBe('got "redis://default:***@cache:6379/0"');
    expect(redact('app:Pw@db.internal:5432/x')).toBe('app:***@db.internal:5432/x');
    expect(redact('postgres://app@db/x')).toBe('postgres://app@db/x');
    expect(redact('postgres://app:p@ss@db:5432/x and more')).toBe('postgres://app:***@db:5432/x and more');
  });

  it('hides secret query parameters, KEY=value secrets, JSON secrets and HTTP credentials', () => {
    expect(redact('postgres://db/x?sslmode=require&password=hunter2')).toBe('postgres://db/x?sslmode=require&password=***');
    expect(redact('https://h/cb?access_token=abc.def&state=1')).toBe('https://h/cb?access_token=***&state=1');
    expect(redact('SALESFORCE_PASSWORD=sandbox ZENDESK_API_TOKEN=tok STRIPE_API_KEY=sk_test_1')).toBe('SALESFORCE_PASSWORD=*** ZENDESK_API_TOKEN=*** STRIPE_API_KEY=***');
    expect(redact('{"password":"p1","user":"u"}')).toBe('{"password":"***","user":"u"}');
    expect(redact('authorization: Bearer 00D5g000004XYZ!AQ0AQ.secret')).toBe('authorization: Bearer ***');
  });

  it('hides Stripe keys (masked or not), webhook secrets and Salesforce session ids', () => {
    expect(redact('Invalid API Key provided: sk_test_****abcd')).toBe('Invalid API Key provided: sk_test_***');
    expect(redact('key rk_live_51Habc123 and whsec_abc123')).toBe('key rk_live_*** and whsec_***');
    expect(redact('session 00D5g000004XYZaEAG!AQ0AQH.secret_part')).toBe('session 00D5g000004XYZaEAG!***');
  });

  it('leaves ordinary messages alone', () => {
    const plain = 'SALESFORCE_PASSWORD: required when Salesforce is configured (got "x"); no answer within 2000 ms at 10.0.0.5:5432';
    expect(redact(plain)).toBe(plain);
  });

  it('names a server by host and port only, and cuts a message to one bounded line', () => {
    expect(hostOf('postgres://app:Pw@db.internal/x', 5432)).toBe('db.internal:5432');
    expect(hostOf('not a url')).toBe('(unparsable URL)');
    expect(oneLine(new Error('connect to postgres://a:b@h/x failed\n    at somewhere'))).toBe('connect to postgres://a:***@h/x failed');
    expect(oneLine('x'.repeat(500), 20)).toHaveLength(20);
  });
});

describe('where redaction applies', () => {
  it('configuration errors say what is wrong without the secret', () => {
    const e = new ConfigError(['DATABASE_URL: must be a URL starting with postgres:// (got "postgress://app:Pw@db.internal/x")']);
    expect(e.message).not.toContain('Pw');
    expect(e.message).toContain('postgress://app:***@db.internal/x');
    expect(e.problems[0]).not.toContain('Pw');
  });

  it('every log line, message and fields alike', () => {
    let written = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ stream });
    logger.error('cannot reach postgres://app:Pw1@db/x', { error: 'redis://u:Pw2@cache:6379 refused', token: 'abc', apiKey: 'sk_live_123' });
    expect(written).not.toMatch(/Pw1|Pw2|abc|sk_live_123/);
    expect(written).toContain('postgres://app:***@db/x');
    expect(written.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
