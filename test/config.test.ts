// Configuration is refused as a whole, naming every bad variable, before anything starts.
import { describe, expect, it } from 'vitest';
import { readGatewayConfig } from '../src/config/gateway.ts';
import { configProblems as problems } from './support/config.ts';

describe('gateway configuration', () => {
  it('runs the sandbox when nothing is configured, with the contract defaults', () => {
    const c = readGatewayConfig({});
    expect(c.sandbox).toBe(true);
    expect(c.env.PORT).toBe(4000);
    expect(c.env.MERIDIAN_SOURCE_TIMEOUT_MS).toBe(2000);
  });

  it('lists every bad variable at once', () => {
    const p = problems({ PORT: 'eighty', REDIS_URL: 'http://x', STRIPE_API_KEY: 'pk_test_x', ZENDESK_EMAIL: 'a@b.c', MERIDIAN_DEFAULT_REGION: 'usa', ERP_DATABASE_URL: 'mysql://h/db' });
    const text = p.join('\n');
    for (const name of ['PORT', 'REDIS_URL', 'STRIPE_API_KEY', 'ZENDESK_API_TOKEN', 'ZENDESK_ENDPOINT_URI or ZENDESK_SUBDOMAIN', 'MERIDIAN_DEFAULT_REGION', 'ERP_DATABASE_URL']) {
      expect(text).toContain(name);
    }
  });

  it('refuses a default region the phone library does not know (every number without a country code would be dropped)', () => {
    expect(problems({ MERIDIAN_DEFAULT_REGION: 'ZZ' }).join('\n')).toMatch(/MERIDIAN_DEFAULT_REGION: must be an ISO 3166-1 alpha-2 country code with a numbering plan/);
    expect(readGatewayConfig({ MERIDIAN_DEFAULT_REGION: 'GB' }).env.MERIDIAN_DEFAULT_REGION).toBe('GB');
  });

  it('remembers 100,000 customers’ links by default, none at 0, and names a bad size', () => {
    expect(readGatewayConfig({}).env.MERIDIAN_LINK_MEMO).toBe(100_000);
    expect(readGatewayConfig({ MERIDIAN_LINK_MEMO: '0' }).env.MERIDIAN_LINK_MEMO).toBe(0);
    for (const bad of ['-1', 'lots', '1.5']) expect(problems({ MERIDIAN_LINK_MEMO: bad }).join('\n')).toMatch(/^MERIDIAN_LINK_MEMO: /m);
  });

  it('asks for the whole Salesforce login when part of it is given', () => {
    expect(problems({ SALESFORCE_USERNAME: 'u' }).join('\n')).toMatch(/SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_PASSWORD/);
  });

  it('uses configured systems and no sandbox unless asked', () => {
    const c = readGatewayConfig({ STRIPE_API_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://127.0.0.1:9' });
    expect(c.sandbox).toBe(false);
    expect(c.systems.stripe?.apiBase.port).toBe('9');
    expect(readGatewayConfig({ STRIPE_API_KEY: 'sk_test_1', MERIDIAN_SANDBOX: '1' }).sandbox).toBe(true);
  });

  it('reads the sync settings, and names a bad poll interval or worker switch', () => {
    const c = readGatewayConfig({ MERIDIAN_POLL_SECONDS: '30', MERIDIAN_POLL_ERP_SECONDS: '0' });
    expect(c.env.MERIDIAN_POLL_SECONDS).toBe(30);
    expect(c.env.MERIDIAN_POLL_ERP_SECONDS).toBe(0);
    expect(c.env.MERIDIAN_WORKER).toBe('on');
    const text = problems({ MERIDIAN_POLL_SECONDS: 'soon', MERIDIAN_POLL_STRIPE_SECONDS: '-5', MERIDIAN_POLL_ZENDESK_SECONDS: '1.5', MERIDIAN_WORKER: 'yes', MERIDIAN_WORKER_CONCURRENCY: '0' }).join('\n');
    expect(text).toMatch(/MERIDIAN_POLL_SECONDS: must be a whole number of seconds \(0 turns polling off\)/);
    expect(text).toMatch(/MERIDIAN_POLL_STRIPE_SECONDS: must be 0 \(off\) or more/);
    expect(text).toMatch(/MERIDIAN_POLL_ZENDESK_SECONDS: must be a whole number of seconds/);
    expect(text).toContain('MERIDIAN_WORKER');
    expect(text).toContain('MERIDIAN_WORKER_CONCURRENCY');
  });
});
