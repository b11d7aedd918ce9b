// OAuth sessions: access tokens (Salesforce's `00D…!…` session ids) and refresh tokens.
import { createHmac, randomBytes } from 'node:crypto';

export class SessionRegistry {
  readonly staticAccessToken: string;
  readonly #org15: string;
  readonly #access = new Set<string>();
  readonly #refresh = new Set<string>();

  constructor(orgId: string) {
    this.#org15 = orgId.slice(0, 15);
    // Stable across restarts, so a gateway configured with instance URL + token keeps working.
    this.staticAccessToken = `${this.#org15}!AQsandboxStaticSessionMeridian`;
  }

  issueAccessToken(): string {
    const token = `${this.#org15}!AQ${randomBytes(48).toString('base64url')}`;
    this.#access.add(token);
    return token;
  }

  issueRefreshToken(): string {
    const token = `5Aep861${randomBytes(40).toString('base64url')}`;
    this.#refresh.add(token);
    return token;
  }

  isValidAccessToken(token: string): boolean {
    return token === this.staticAccessToken || this.#access.has(token);
  }

  isValidRefreshToken(token: string): boolean {
    return this.#refresh.has(token);
  }

  revoke(token: string): void {
    this.#access.delete(token);
    this.#refresh.delete(token);
  }

  /** Ends every issued session (not the static token), like a session timeout; refresh tokens stay valid. */
  expireAccessTokens(): void {
    this.#access.clear();
  }
}

/** `signature` of a token answer: base64 HMAC-SHA256 of `id + issued_at`, keyed by the client secret. */
export function tokenSignature(clientSecret: string, id: string, issuedAt: string): string {
  return createHmac('sha256', clientSecret).update(id + issuedAt).digest('base64');
}
