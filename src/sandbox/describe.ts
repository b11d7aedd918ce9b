// What `meridian sandbox` prints: where each emulated system is and how to sign in, as the
// settings a gateway takes. It lives with the sandbox: describing each emulator is its business.
import type { Sandbox } from './index.ts';
import { redact } from '../observability/redact.ts';

export function describeSandbox(sandbox: Sandbox, startMs: number): string {
  const { salesforce: sf, stripe, zendesk, erp, world } = sandbox;
  const env = sandbox.env();
  const rows: [string, string, string][] = [
    ['Salesforce', sf.url, `OAuth password grant: client ${sf.credentials.clientId} / ${sf.credentials.clientSecret}, user ${sf.credentials.username} / ${sf.credentials.password}; API v${env['SALESFORCE_API_VERSION']}`],
    ['Stripe', stripe.url, `secret key ${stripe.credentials.apiKey}; webhook secret ${stripe.credentials.webhookSecret}`],
    ['Zendesk', zendesk.endpointUri, `${zendesk.credentials.email} / API token ${zendesk.credentials.apiToken}; webhook secret ${zendesk.credentials.webhookSecret}`],
    ['ERP', erp.url, `Postgres schema "${erp.schema}" (read through the accounting proxy${erp.readerRole.ok ? ` as ${erp.readerRole.user}, SELECT only` : ` as the owner, which can write (${erp.readerRole.reason}): a gateway refuses it unless MERIDIAN_ERP_ALLOW_WRITES=1`}; to change its rows: ${redact(erp.adminUrl)})`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return [
    `Meridian sandbox: ${world.size.toLocaleString('en-US')} customers (seed ${world.seed}), ready in ${(startMs / 1000).toFixed(1)} s`,
    '',
    ...rows.map(([n, u, c]) => `  ${n.padEnd(w0)}  ${u.padEnd(w1)}  ${c}`),
    '',
    'Control (each HTTP emulator): GET|PUT|DELETE <url>/__sandbox/faults, GET|DELETE <url>/__sandbox/requests,',
    '                              GET|PUT <url>/__sandbox/webhooks {"url": "…"}',
    '',
    'As environment for a gateway:',
    ...Object.entries(env).map(([k, v]) => `  ${k}=${v}`),
    '',
    'Ctrl-C stops it.',
  ].join('\n');
}
