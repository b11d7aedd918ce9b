// How a gateway and the CLI wire themselves to the sandbox: its ports from the environment,
// where its emulators send their change notifications, and one line saying what runs. Kept
// here so that the gateway's own code never names a system (test/sources/system-names.test.ts):
// the sandbox emulates each system by design.
import type { SandboxEnv } from '../config/env.ts';
import { redact } from '../observability/redact.ts';
import type { Sandbox, SandboxOptions } from './index.ts';

type PortEnv = Pick<SandboxEnv, 'SANDBOX_SALESFORCE_PORT' | 'SANDBOX_STRIPE_PORT' | 'SANDBOX_ZENDESK_PORT' | 'SANDBOX_ERP_PORT'>;

/** Each emulator's port, as SANDBOX_*_PORT say. */
export function sandboxPortsFrom(env: PortEnv): NonNullable<SandboxOptions['ports']> {
  return { salesforce: env.SANDBOX_SALESFORCE_PORT, stripe: env.SANDBOX_STRIPE_PORT, zendesk: env.SANDBOX_ZENDESK_PORT, erp: env.SANDBOX_ERP_PORT };
}

/** Where each emulator that sends notifications posts them, under a gateway's base URL (`<base>/webhooks/<system>`). */
export function webhookTargets(base: URL): NonNullable<SandboxOptions['webhooks']> {
  const at = (system: string): string => new URL(`webhooks/${system}`, base.href.endsWith('/') ? base : `${base.href}/`).href;
  return { salesforce: at('salesforce'), stripe: at('stripe'), zendesk: at('zendesk') };
}

/** Points every emulator's notifications at the gateway listening at `url`, as real systems would be set up to. */
export function notifyGateway(sandbox: Sandbox, url: string): void {
  const targets = webhookTargets(new URL(url));
  sandbox.salesforce.notifier?.setTarget(targets.salesforce!);
  sandbox.stripe.notifier?.setTarget(targets.stripe!);
  sandbox.zendesk.notifier?.setTarget(targets.zendesk!);
}

/** The `sandbox` line of `meridian serve`'s banner. */
export function sandboxSummary(sandbox: Sandbox): string {
  const { salesforce, stripe, zendesk, erp } = sandbox;
  return `${sandbox.world.size.toLocaleString('en-US')} demo customers; Salesforce ${salesforce.url}, Stripe ${stripe.url}, Zendesk ${zendesk.endpointUri}, ERP ${redact(erp.adminUrl)} (Meridian reads it as ${erp.readerRole.ok ? erp.readerRole.user : 'the owner'})`;
}
