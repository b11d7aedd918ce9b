// Start-up failures that are the operator's configuration, said in one line that names the
// variable (or port) to fix, with credentials redacted; the CLI exits 2 for them (a ConfigError).
// Checked before the slow part of a start where possible: a port in use is known in a
// millisecond, not after a ten-second boot.
import net from 'node:net';
import pg from 'pg';
import { createClient } from 'redis';
import { withTimeout } from '../resilience/index.ts';
import { ConfigError, type SandboxEnv } from '../config/env.ts';
import { hostOf, oneLine } from '../observability/redact.ts';

/** One line naming what to fix. A ConfigError, so every command reports it and exits 2. */
export class StartupError extends ConfigError {
  constructor(line: string) {
    super([line]);
    this.name = 'StartupError';
    this.message = this.problems[0] ?? line;
  }
}

/** A port some variable asks for, e.g. { variable: 'PORT', port: 4000 }. Port 0 (any) is never busy. */
export interface WantedPort {
  variable: string;
  port: number;
}

/** The sandbox's ports and the variables that set them. */
export function sandboxPorts(env: Pick<SandboxEnv, 'SANDBOX_SALESFORCE_PORT' | 'SANDBOX_STRIPE_PORT' | 'SANDBOX_ZENDESK_PORT' | 'SANDBOX_ERP_PORT'>): WantedPort[] {
  return [
    { variable: 'SANDBOX_SALESFORCE_PORT', port: env.SANDBOX_SALESFORCE_PORT },
    { variable: 'SANDBOX_STRIPE_PORT', port: env.SANDBOX_STRIPE_PORT },
    { variable: 'SANDBOX_ZENDESK_PORT', port: env.SANDBOX_ZENDESK_PORT },
    { variable: 'SANDBOX_ERP_PORT', port: env.SANDBOX_ERP_PORT },
  ];
}

const errorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

function portInUse(variable: string, host: string, port: number): StartupError {
  return new StartupError(`${variable}: port ${port} on ${host} is already in use (another Meridian, or another program); stop it or set ${variable} to a free port`);
}

/** Listens on each port for a moment; the first one that is taken (or not allowed) is a StartupError. */
export async function assertPortsFree(host: string, ports: readonly WantedPort[]): Promise<void> {
  for (const { variable, port } of ports) {
    if (port === 0) continue;
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', (e) => reject(explainListenError(e, variable, host, port) ?? e));
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
    });
  }
}

/** A listen() failure as a StartupError naming the variable, or null when it is not about the port. */
export function explainListenError(e: unknown, variable: string, host: string, port: number): StartupError | null {
  switch (errorCode(e)) {
    case 'EADDRINUSE':
      return portInUse(variable, host, port);
    case 'EACCES':
      return new StartupError(`${variable}: not allowed to listen on port ${port} (ports below 1024 need privileges); set ${variable} to a port above 1023`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`${variable}: cannot listen on ${host}:${port}: ${host} is not an address of this machine (check HOST / SANDBOX_HOST)`);
    default:
      return null;
  }
}

/** Which of `ports` a listen error is about (Node puts the port on the error). */
export function explainListenErrorOf(e: unknown, host: string, ports: readonly WantedPort[]): StartupError | null {
  const port = typeof e === 'object' && e !== null && 'port' in e && typeof e.port === 'number' ? e.port : null;
  const wanted = ports.find((p) => p.port === port);
  return wanted ? explainListenError(e, wanted.variable, host, wanted.port) : null;
}

/**
 * A Postgres failure at start as one line naming `variable`: unreachable, unknown host, refused
 * credentials, missing database, missing privileges. null when it is none of those.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function explainPostgresError(e: unknown, variable: string, url: string): StartupError | null {
  const where = hostOf(url, 5432);
  const user = (() => {
    try {
      return decodeURIComponent(new URL(url).username) || '(default user)';
    } catch {
      return '(default user)';
    }
  })();
  const code = errorCode(e);
  const said = oneLine(e);
  switch (code) {
    case 'ECONNREFUSED':
      return new StartupError(`${variable}: cannot connect to ${where} (connection refused); is PostgreSQL running there?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`${variable}: host ${JSON.stringify(where.replace(/:\d+$/, ''))} not found`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'CONNECT_TIMEOUT':
      return new StartupError(`${variable}: no answer from ${where} (${code === 'CONNECT_TIMEOUT' ? 'timed out' : code}); check the host, port and firewall`);
    case 'ECONNRESET':
      return new StartupError(`${variable}: ${where} closed the connection (is it a PostgreSQL server? does it require TLS: add ?sslmode=require)`);
    case '28P01':
      return new StartupError(`${variable}: ${where} refused the password of user ${JSON.stringify(user)}`);
    case '28000':
      return new StartupError(`${variable}: ${where} refused user ${JSON.stringify(user)}: ${said}`);
    case '3D000':
      return new StartupError(`${variable}: ${said} on ${where}; create it or name another database`);
    case '42501':
      return new StartupError(`${variable}: user ${JSON.stringify(user)} lacks a privilege Meridian needs on ${where}: ${said} (it creates its own schema and tables)`);
    default:
      return null;
  }
}

/**
 * Connects once and runs SELECT 1, bounded by `timeoutMs`: a wrong or unreachable DATABASE_URL
 * is reported in one line before anything else starts, not as a stack from the first migration.
 */
export async function probePostgres(variable: string, url: string, timeoutMs = 5_000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // Without a listener a late socket error would be thrown at the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    const timedOut = e instanceof Error && /timeout/i.test(e.message) && errorCode(e) === undefined;
    throw explainPostgresError(timedOut ? Object.assign(new Error(e.message), { code: 'CONNECT_TIMEOUT' }) : e, variable, url) ??
      new StartupError(`${variable}: cannot use ${hostOf(url, 5432)}: ${oneLine(e)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connects once and sends PING, bounded by `timeoutMs`. Pub/sub cannot start without Redis, so
 * an unreachable or refusing REDIS_URL is one line up front instead of a page of reconnect logs.
 */
export async function probeRedis(variable: string, url: string, timeoutMs = 2_000): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  let failure: unknown = null;
  client.on('error', (e: unknown) => {
    failure ??= e;
  });
  const where = hostOf(url, 6379);
  try {
    await withTimeout(client.connect().then(() => client.ping()), timeoutMs);
  } catch (e) {
    const cause = failure ?? e;
    const code = errorCode(cause);
    const said = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : oneLine(cause, 120);
    if (/WRONGPASS|NOAUTH|invalid username-password/i.test(said)) throw new StartupError(`${variable}: ${where} refused the credentials (${said})`);
    throw new StartupError(`${variable}: cannot connect to ${where} (${said}); is Redis running there?`);
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}
