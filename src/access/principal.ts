// Who is asking. Every request (HTTP or WebSocket) carries one Principal in its context; the
// access layer decides what it may see and do, the audit names it, rate limits count by it.

/** Roles, widest first. What each may read and write is declared once (field-level rules). */
export const ROLES = ['admin', 'steward', 'approver', 'agent', 'reader', 'service'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** How it was established. */
  kind: 'api-key' | 'jwt' | 'local' | 'anonymous';
  /** Stable identity for rate limits and caches: the key's id, the token's issuer + subject. Never a secret. */
  id: string;
  /** What the audit records as the actor: the key's name or the token's subject. */
  name: string;
  /** null: authenticated as nobody (refused wherever a role is needed). */
  role: Role | null;
}

/**
 * Until access control is wired, every request runs as this: the gateway's behaviour so far
 * (anyone who reaches the port may do anything), named so that it can be found and removed.
 */
export const UNCHECKED: Principal = { kind: 'anonymous', id: 'anonymous', name: 'api', role: 'admin' };
