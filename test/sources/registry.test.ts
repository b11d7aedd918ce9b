// What the rest of Meridian derives from the registry instead of naming systems.
import { describe, expect, it } from 'vitest';
import { ACCOUNT_TYPE, MAX_SCAN_PAGE_SIZE, PERSON_IS_ACCOUNT, SYSTEM_DESCRIPTORS, SYSTEM_IDS, WRITABLE, sourcesOf, systemEnum, systemNamed, systemOfEnum } from '../../src/sources/registry.ts';
import { noSystemSettings, readSystemSettings } from '../../src/config/systems.ts';
import { ConfigError } from '../../src/config/env.ts';

describe('the registry', () => {
  it('lists the systems in tie-break order, each with its account type and scan page limit', () => {
    expect(SYSTEM_IDS).toEqual(['salesforce', 'stripe', 'zendesk', 'erp']);
    expect(ACCOUNT_TYPE).toEqual({ salesforce: 'Account', stripe: 'customer', zendesk: 'organization', erp: 'erp_customer' });
    expect(MAX_SCAN_PAGE_SIZE).toEqual({ salesforce: 2000, stripe: 100, zendesk: 100, erp: 10_000 });
    expect([...PERSON_IS_ACCOUNT]).toEqual(['stripe']);
  });

  it("says which related kind of which system fills each of a customer's collections", () => {
    expect(sourcesOf('contacts')).toEqual([{ system: 'salesforce', kind: 'contacts' }, { system: 'zendesk', kind: 'users' }]);
    expect(sourcesOf('invoices')).toEqual([{ system: 'stripe', kind: 'invoices' }, { system: 'erp', kind: 'invoices' }]);
    expect(sourcesOf('satisfaction')).toEqual([{ system: 'zendesk', kind: 'satisfactionRatings' }]);
  });

  it('reads names and GraphQL enum values, and refuses what names no system', () => {
    expect(systemNamed('zendesk')).toBe('zendesk');
    expect(systemNamed('netsuite')).toBeNull();
    expect(systemOfEnum('STRIPE')).toBe('stripe');
    expect(systemOfEnum('stripe')).toBeNull();
    expect(systemOfEnum('NETSUITE')).toBeNull();
    expect(systemEnum('erp')).toBe('ERP');
  });

  it('writes exactly the systems whose descriptor declares the write capability (the ERP never)', () => {
    expect([...WRITABLE].sort()).toEqual(SYSTEM_DESCRIPTORS.filter((d) => d.capabilities.write !== undefined).map((d) => d.id).sort());
    expect(WRITABLE.has('erp')).toBe(false);
    expect([...WRITABLE].sort()).toEqual(['salesforce', 'stripe', 'zendesk']);
    expect(SYSTEM_DESCRIPTORS.filter((d) => d.capabilities.webhook).map((d) => d.id)).toEqual(['salesforce', 'stripe', 'zendesk']);
  });

  it("reads every system's settings with its own schema: none set is none configured, and every system's problems come together", () => {
    expect(readSystemSettings({})).toEqual(noSystemSettings());
    let problems: string[] = [];
    try {
      readSystemSettings({ STRIPE_API_BASE: 'not a url', ZENDESK_EMAIL: 'a@b.c', ERP_DATABASE_URL: 'mysql://x/y' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual([
      'STRIPE_API_KEY: required when Stripe is configured',
      'STRIPE_API_BASE: must be a http: or https: URL (got "not a url")',
      'ZENDESK_API_TOKEN: required when Zendesk is configured',
      'ZENDESK_ENDPOINT_URI or ZENDESK_SUBDOMAIN: one is required when Zendesk is configured',
      'ERP_DATABASE_URL: only postgres:// is supported so far (got mysql://)',
    ]);
  });
});
