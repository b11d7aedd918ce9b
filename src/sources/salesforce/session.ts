// The gateway's Salesforce session: logs in when first needed and again after a failure, so a
// Salesforce that is down (or hanging) when the gateway starts costs only Salesforce's fields
// until it answers again; no restart. It also keeps what the login tells (the org id) for
// others to await (webhook checks of Outbound Messages).
//
// The password-grant request is made here with fetch rather than jsforce's login() because
// jsforce cannot bound or abort it: a hanging login server would hold start-up (and the process
// at shutdown) for jsforce's 30-minute default. The session it yields is an ordinary jsforce
// Connection; when Salesforce expires it, jsforce calls refreshFn, which logs in again the same way.
import { Connection } from 'jsforce';
import { z } from 'zod';
import type { SalesforceSettings } from './settings.ts';
import { SourceUnavailableError } from '../errors.ts';
import { carriedByNodeHttp } from './client.ts';
import { learnOrganizationId, type OrganizationIdSource } from './organization.ts';

export type SalesforceSessionState =
  | { status: 'connecting' }
  | { status: 'connected'; orgId: string | null }
  /** Salesforce could not be reached or failed; tried again in the background. */
  | { status: 'unavailable'; reason: string }
  /** Salesforce refused the credentials: a configuration problem; `variables` names what to fix. */
  | { status: 'refused'; reason: string; variables: string[] };

/** A login failure: `publicReason` is what clients and /readyz may read (no hosts, no upstream text). */
export class SalesforceLoginError extends SourceUnavailableError {
  declare readonly publicReason: string;
  /** For a refusal: the variables that hold the refused credentials. */
  readonly variables: string[];
  constructor(message: string, publicReason: string, options: { status?: number | null; upstreamCode?: string | null; variables?: string[]; cause?: unknown } = {}) {
    super('salesforce', message, { status: options.status ?? null, upstreamCode: options.upstreamCode ?? null, publicReason, cause: options.cause });
    this.name = 'SalesforceLoginError';
    this.variables = options.variables ?? [];
  }
  get refused(): boolean {
    return this.variables.length > 0;
  }
}

export interface SalesforceSessionOptions {
  /** Deadline of one login request (the gateway's source timeout). */
  timeoutMs: number;
  /** Background retry after a failed login: first delay, doubling up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** After a refusal, on-demand logins are tried at most this often (repeated bad logins lock the user out). */
  refusedRetryMs?: number;
  /** Told of every change of state (the gateway logs it). */
  onStateChange?: (state: SalesforceSessionState, error: SalesforceLoginError | null) => void;
  fetch?: typeof fetch;
}

// https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_username_password_flow.htm
const tokenAnswer = z.object({
  access_token: z.string().min(1),
  instance_url: z.string().url(),
  /** The identity URL: https://login.salesforce.com/id/<orgId>/<userId>. */
  id: z.string().url(),
});
const oauthErrorAnswer = z.object({ error: z.string(), error_description: z.string().optional() });

/** Which variables hold what Salesforce refused, by its OAuth error code. */
const REFUSED: Record<string, string[]> = {
  invalid_grant: ['SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD'],
  invalid_client_id: ['SALESFORCE_CLIENT_ID'],
  invalid_client: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
  inactive_user: ['SALESFORCE_USERNAME'],
  inactive_org: ['SALESFORCE_USERNAME'],
};

const orgIdOf = (identityUrl: string): string | null => /\/id\/([A-Za-z0-9]{15,18})\/[A-Za-z0-9]{15,18}\/?$/.exec(identityUrl)?.[1] ?? null;

export class SalesforceSession {
  readonly #settings: SalesforceSettings;
  readonly #o: Required<Omit<SalesforceSessionOptions, 'onStateChange'>> & Pick<SalesforceSessionOptions, 'onStateChange'>;
  #state: SalesforceSessionState = { status: 'connecting' };
  #conn: Connection | null = null;
  #error: SalesforceLoginError | null = null;
  #attempt: Promise<Connection> | null = null;
  #first: Promise<void> | null = null;
  #lastAttemptAt = 0;
  #retryDelay: number;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #inFlight = new Set<AbortController>();
  // The password login's answer names the org; a given session's org is asked of the identity service.
  readonly #orgId: OrganizationIdSource = learnOrganizationId(() => this.connection(), {
    known: () => (this.#state.status === 'connected' ? this.#state.orgId : null),
  });

  constructor(settings: SalesforceSettings, options: SalesforceSessionOptions) {
    this.#settings = settings;
    this.#o = {
      minRetryMs: 1_000,
      maxRetryMs: 30_000,
      refusedRetryMs: 60_000,
      fetch: globalThis.fetch,
      ...options,
    };
    this.#retryDelay = this.#o.minRetryMs;
    // A session someone else issued needs no login: it is used as given.
    if (settings.session) {
      this.#conn = carriedByNodeHttp(new Connection({ instanceUrl: settings.session.instanceUrl, accessToken: settings.session.accessToken, version: settings.apiVersion }));
      this.#state = { status: 'connected', orgId: null };
    }
  }

  get state(): SalesforceSessionState {
    return this.#state;
  }

  /**
   * Starts logging in without waiting; failures are retried in the background (1 s, doubling to
   * 30 s) until Salesforce answers. The promise settles when the first attempt has (it never
   * rejects): start-up waits on it to tell refused credentials (exit 2) from a system that is down.
   */
  start(): Promise<void> {
    this.#first ??= (this.#conn ? Promise.resolve(this.#conn) : (this.#attempt ?? this.#login())).then(
      () => undefined,
      () => undefined,
    );
    return this.#first;
  }

  /**
   * The logged-in Connection. Logs in first when there is none (one attempt at a time, shared);
   * rejects with a SalesforceLoginError when Salesforce cannot be reached or refuses.
   */
  connection(): Promise<Connection> {
    if (this.#conn) return Promise.resolve(this.#conn);
    if (this.#closed) return Promise.reject(new SalesforceLoginError('Salesforce session closed', 'not connected'));
    if (this.#attempt) return this.#attempt;
    if (this.#error?.refused && Date.now() - this.#lastAttemptAt < this.#o.refusedRetryMs) return Promise.reject(this.#error);
    return this.#login();
  }

  /**
   * The org id (18 chars) of the logged-in user: from the login answer, or (for a given session)
   * from Salesforce's identity service, asked once (organization.ts: bounded, and not asked again
   * for a while after a failure). Rejects with OrganizationUnknownError while Salesforce cannot answer.
   */
  organizationId(): Promise<string> {
    return this.#orgId();
  }

  /** Stops background retries and aborts a login in flight. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const c of this.#inFlight) c.abort();
  }

  #setState(state: SalesforceSessionState, error: SalesforceLoginError | null): void {
    const changed = state.status !== this.#state.status || ('reason' in state && 'reason' in this.#state && state.reason !== this.#state.reason);
    this.#state = state;
    this.#error = error;
    if (changed) this.#o.onStateChange?.(state, error);
  }

  #login(): Promise<Connection> {
    this.#lastAttemptAt = Date.now();
    const attempt = this.#requestToken().then(
      (token) => {
        // Retries are the caller's (the breaker, a backfill's page retry): see carriedByNodeHttp.
        const conn = carriedByNodeHttp(new Connection({
          instanceUrl: token.instance_url,
          accessToken: token.access_token,
          version: this.#settings.apiVersion,
          // jsforce calls this when Salesforce says the session expired (401 INVALID_SESSION_ID).
          refreshFn: (_c, callback) => {
            this.#requestToken().then(
              (t) => {
                callback(null, t.access_token);
              },
              (e: unknown) => {
                callback(e instanceof Error ? e : new Error(String(e)));
              },
            );
          },
        }));
        this.#conn = conn;
        this.#retryDelay = this.#o.minRetryMs;
        this.#setState({ status: 'connected', orgId: orgIdOf(token.id) }, null);
        return conn;
      },
      (e: unknown) => {
        const error = e instanceof SalesforceLoginError ? e : new SalesforceLoginError(`Salesforce login failed: ${String(e)}`, 'login failed', { cause: e });
        if (error.refused) this.#setState({ status: 'refused', reason: error.publicReason, variables: error.variables }, error);
        else {
          this.#setState({ status: 'unavailable', reason: error.publicReason }, error);
          this.#scheduleRetry();
        }
        throw error;
      },
    );
    this.#attempt = attempt;
    const clear = (): void => {
      if (this.#attempt === attempt) this.#attempt = null;
    };
    attempt.then(clear, clear);
    return attempt;
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#timer) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#o.maxRetryMs);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#conn && !this.#attempt && !this.#closed) this.#login().catch(() => undefined);
    }, delay);
    // A retry never keeps the process alive on its own.
    this.#timer.unref();
  }

  /** One password-grant request, bounded by timeoutMs; every failure a SalesforceLoginError. */
  async #requestToken(): Promise<z.infer<typeof tokenAnswer>> {
    const oauth = this.#settings.oauth;
    if (!oauth) throw new SalesforceLoginError('Salesforce session expired and no password grant is configured', 'session expired', { variables: ['SALESFORCE_ACCESS_TOKEN'] });
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.#o.timeoutMs);
    const url = new URL('/services/oauth2/token', this.#settings.loginUrl);
    try {
      let res: Response;
      try {
        res = await this.#o.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'password', client_id: oauth.clientId, client_secret: oauth.clientSecret, username: oauth.username, password: oauth.password }),
          signal: controller.signal,
        });
      } catch (e) {
        if (controller.signal.aborted) throw new SalesforceLoginError(`Salesforce login: no answer from ${url.host} within ${this.#o.timeoutMs} ms`, `login: no answer within ${this.#o.timeoutMs} ms`, { cause: e });
        const code = (e as { cause?: { code?: unknown } }).cause?.code;
        throw new SalesforceLoginError(`Salesforce login: cannot reach ${url.host}${typeof code === 'string' ? ` (${code})` : ''}`, 'login: cannot reach the login server', { cause: e });
      }
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: judged by the status below
      }
      if (res.ok) {
        const token = tokenAnswer.safeParse(body);
        if (token.success) return token.data;
        throw new SalesforceLoginError(`Salesforce login answer is not a token (${token.error.issues[0]?.path.join('.') ?? ''}: ${token.error.issues[0]?.message ?? ''})`, 'login answer not understood', { status: res.status });
      }
      const oauthError = oauthErrorAnswer.safeParse(body);
      if (oauthError.success && res.status >= 400 && res.status < 500) {
        const { error, error_description: description } = oauthError.data;
        const variables = REFUSED[error] ?? ['SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD', 'SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'];
        throw new SalesforceLoginError(`Salesforce refused the login: ${error}${description ? `: ${description}` : ''}`, `login refused (${error})`, { status: res.status, upstreamCode: error, variables });
      }
      if (res.status === 404 || res.status === 405) {
        throw new SalesforceLoginError(`Salesforce login: ${url.href} answered HTTP ${res.status}`, `login answered HTTP ${res.status}`, { status: res.status, variables: ['SALESFORCE_LOGIN_URL'] });
      }
      throw new SalesforceLoginError(`Salesforce login: ${url.host} answered HTTP ${res.status}`, `login answered HTTP ${res.status}`, { status: res.status });
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }
}
