// Per-system settings (CONTRACT.md § Environment). A system with no settings at all is
// absent; a system with some but not all of what it needs is a configuration error that
// names the missing variables.
import { ConfigError } from './env.ts';

export interface SalesforceSettings {
  loginUrl: string;
  apiVersion: string;
  /** Password grant (the usual integration-user set-up)… */
  oauth: { clientId: string; clientSecret: string; username: string; password: string } | null;
  /** …or a session someone else issued. */
  session: { instanceUrl: string; accessToken: string } | null;
}

export interface StripeSettings {
  apiKey: string;
  /** Where the API is; Stripe's own host unless STRIPE_API_BASE says otherwise. */
  apiBase: URL;
  webhookSecret: string | null;
}

export interface ZendeskSettings {
  endpointUri: string;
  email: string;
  apiToken: string;
  webhookSecret: string | null;
}

export interface ErpSettings {
  url: string;
  /** Schema holding the ERP's tables (default 'erp'). */
  schema: string;
}

export interface SystemSettings {
  salesforce: SalesforceSettings | null;
  stripe: StripeSettings | null;
  zendesk: ZendeskSettings | null;
  erp: ErpSettings | null;
}

type Env = Record<string, string | undefined>;

const isUrl = (v: string, protocols: string[]): boolean => {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

const present = (env: Env, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
};

export function readSystemSettings(env: Env): SystemSettings {
  const problems: string[] = [];
  const need = (system: string, names: string[]): void => {
    const missing = names.filter((n) => present(env, n) === undefined);
    if (missing.length > 0) problems.push(`${missing.join(', ')}: required when ${system} is configured`);
  };
  const url = (name: string, protocols: string[]): void => {
    const v = present(env, name);
    if (v !== undefined && !isUrl(v, protocols)) problems.push(`${name}: must be a ${protocols.join(' or ')} URL (got ${JSON.stringify(v)})`);
  };

  // Salesforce
  let salesforce: SalesforceSettings | null = null;
  const sfVars = ['SALESFORCE_LOGIN_URL', 'SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET', 'SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD', 'SALESFORCE_INSTANCE_URL', 'SALESFORCE_ACCESS_TOKEN'];
  if (sfVars.some((n) => present(env, n) !== undefined)) {
    const apiVersion = present(env, 'SALESFORCE_API_VERSION') ?? '59.0';
    if (!/^\d{2,3}\.0$/.test(apiVersion) || Number(apiVersion) < 42) problems.push(`SALESFORCE_API_VERSION: must look like 59.0 and be 42.0 or later (got ${JSON.stringify(apiVersion)})`);
    url('SALESFORCE_LOGIN_URL', ['http:', 'https:']);
    url('SALESFORCE_INSTANCE_URL', ['http:', 'https:']);
    const hasSession = present(env, 'SALESFORCE_INSTANCE_URL') !== undefined || present(env, 'SALESFORCE_ACCESS_TOKEN') !== undefined;
    if (hasSession) need('Salesforce (session)', ['SALESFORCE_INSTANCE_URL', 'SALESFORCE_ACCESS_TOKEN']);
    else need('Salesforce', ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET', 'SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD']);
    salesforce = {
      loginUrl: present(env, 'SALESFORCE_LOGIN_URL') ?? 'https://login.salesforce.com',
      apiVersion,
      oauth: hasSession
        ? null
        : {
            clientId: present(env, 'SALESFORCE_CLIENT_ID') ?? '',
            clientSecret: present(env, 'SALESFORCE_CLIENT_SECRET') ?? '',
            username: present(env, 'SALESFORCE_USERNAME') ?? '',
            password: present(env, 'SALESFORCE_PASSWORD') ?? '',
          },
      session: hasSession ? { instanceUrl: present(env, 'SALESFORCE_INSTANCE_URL') ?? '', accessToken: present(env, 'SALESFORCE_ACCESS_TOKEN') ?? '' } : null,
    };
  }

  // Stripe
  let stripe: StripeSettings | null = null;
  if (['STRIPE_API_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET'].some((n) => present(env, n) !== undefined)) {
    need('Stripe', ['STRIPE_API_KEY']);
    url('STRIPE_API_BASE', ['http:', 'https:']);
    const key = present(env, 'STRIPE_API_KEY');
    if (key !== undefined && !/^(sk|rk)_(test|live)_/.test(key)) problems.push('STRIPE_API_KEY: must be a secret or restricted key (sk_… or rk_…)');
    const base = present(env, 'STRIPE_API_BASE') ?? 'https://api.stripe.com';
    stripe = {
      apiKey: key ?? '',
      apiBase: isUrl(base, ['http:', 'https:']) ? new URL(base) : new URL('https://api.stripe.com'),
      webhookSecret: present(env, 'STRIPE_WEBHOOK_SECRET') ?? null,
    };
  }

  // Zendesk
  let zendesk: ZendeskSettings | null = null;
  if (['ZENDESK_ENDPOINT_URI', 'ZENDESK_SUBDOMAIN', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN'].some((n) => present(env, n) !== undefined)) {
    need('Zendesk', ['ZENDESK_EMAIL', 'ZENDESK_API_TOKEN']);
    url('ZENDESK_ENDPOINT_URI', ['http:', 'https:']);
    const sub = present(env, 'ZENDESK_SUBDOMAIN');
    if (sub !== undefined && !/^[a-z0-9][a-z0-9-]*$/i.test(sub)) problems.push(`ZENDESK_SUBDOMAIN: must be the account's subdomain, e.g. acme (got ${JSON.stringify(sub)})`);
    const endpoint = present(env, 'ZENDESK_ENDPOINT_URI') ?? (sub ? `https://${sub}.zendesk.com/api/v2` : undefined);
    if (endpoint === undefined) problems.push('ZENDESK_ENDPOINT_URI or ZENDESK_SUBDOMAIN: one is required when Zendesk is configured');
    zendesk = {
      endpointUri: (endpoint ?? '').replace(/\/+$/, ''),
      email: present(env, 'ZENDESK_EMAIL') ?? '',
      apiToken: present(env, 'ZENDESK_API_TOKEN') ?? '',
      webhookSecret: present(env, 'ZENDESK_WEBHOOK_SECRET') ?? null,
    };
  }

  // ERP (Postgres today; other dialects come with their drivers)
  let erp: ErpSettings | null = null;
  const erpUrl = present(env, 'ERP_DATABASE_URL');
  if (erpUrl !== undefined) {
    if (!isUrl(erpUrl, ['postgres:', 'postgresql:', 'mysql:', 'mssql:', 'oracle:'])) {
      problems.push(`ERP_DATABASE_URL: must be a postgres://, mysql://, mssql:// or oracle:// URL (got ${JSON.stringify(erpUrl)})`);
    } else if (!isUrl(erpUrl, ['postgres:', 'postgresql:'])) {
      problems.push(`ERP_DATABASE_URL: only postgres:// is supported so far (got ${new URL(erpUrl).protocol}//)`);
    }
    const schema = present(env, 'ERP_SCHEMA') ?? 'erp';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) problems.push(`ERP_SCHEMA: must be a lower-case SQL identifier (got ${JSON.stringify(schema)})`);
    erp = { url: erpUrl, schema };
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { salesforce, stripe, zendesk, erp };
}
