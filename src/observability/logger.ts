// The gateway's log: pino, one event per line on stderr.
//
// Format: JSON (one object per line, for a log store) when MERIDIAN_LOG_FORMAT=json, or when it
// is not set and either NODE_ENV=production or stderr is not a terminal (a container, a pipe, a
// file: whatever collects the log reads JSON); otherwise, in a terminal, one readable line
// `<time> <level> <message> key=value …`, written synchronously by a small formatter here (no
// pino-pretty, no worker thread: a crash loses no line).
//
// Every line logged while a request is served carries its `requestId` (request-context.ts), and
// its `traceId` when tracing is on. Secrets stay out: messages and string fields pass through
// redact() (connection strings, tokens, keys inside text), and fields whose name says secret
// (authorization, password, token, apiKey …) are replaced whole by pino's redaction. Stack
// traces stay out too: an error is logged as its name and message.
import pino from 'pino';
import type { Logger } from '../server/http.ts';
import { currentRequest } from './request-context.ts';
import { errorText, redact } from './redact.ts';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  /** Drops info lines (tests, benchmarks). */
  quiet?: boolean;
  /** Where lines go (default stderr). */
  stream?: NodeJS.WritableStream;
  /** MERIDIAN_LOG_FORMAT; default from `production` and whether the stream is a terminal. */
  format?: LogFormat;
  /** MERIDIAN_LOG_LEVEL (default info). */
  level?: LogLevel;
  /** NODE_ENV=production chooses JSON when no format is given. */
  production?: boolean;
}

const MASK = '***';

/** Field names whose values are secrets whatever they hold, at the top level and one level down (`headers.authorization`). */
const SECRET_FIELDS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'token',
  'apiKey',
  'api_key',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'webhookSecret',
];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  return [key, key.startsWith('[') ? `*${key}` : `*.${key}`];
});

/** Whether the log is JSON or readable lines (see the top of this file). */
export function chooseLogFormat(options: { format?: LogFormat | undefined; production?: boolean | undefined; isTTY: boolean }): LogFormat {
  if (options.format) return options.format;
  return options.production || !options.isTTY ? 'json' : 'pretty';
}

/** Strings redacted, errors reduced to their (redacted) name and message, never their stack, nesting bounded. */
function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return redact(errorText(value));
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return '[nested]';
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, depth + 1)]));
}

const HIDDEN_IN_PRETTY = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One JSON log line as `<time> <level> <message> key=value …` (the format of a terminal). */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const fields = Object.entries(o)
    .filter(([k]) => !HIDDEN_IN_PRETTY.has(k))
    .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');
  return `${String(o['time'])} ${String(o['level'])} ${String(o['msg'])}${fields}\n`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.stream ?? process.stderr;
  const format = chooseLogFormat({ format: options.format, production: options.production, isTTY: (out as { isTTY?: boolean }).isTTY === true });
  const destination = { write: (line: string): void => void out.write(format === 'json' ? line : prettyLine(line)) };
  const log = pino(
    {
      level: options.quiet ? 'warn' : (options.level ?? 'info'),
      // `"level":"info"`, not 30: log stores and people read names.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: MASK },
      mixin: () => {
        const scope = currentRequest();
        if (!scope) return {};
        const trace = scope.span?.isRecording() ? scope.span.spanContext().traceId : undefined;
        return trace ? { requestId: scope.requestId, traceId: trace } : { requestId: scope.requestId };
      },
    },
    destination,
  );
  const write = (level: 'info' | 'error', msg: string, extra?: Record<string, unknown>): void => {
    if (!log.isLevelEnabled(level)) return;
    if (extra) log[level](clean(extra) as Record<string, unknown>, redact(msg));
    else log[level](redact(msg));
  };
  return { info: (m, e) => write('info', m, e), error: (m, e) => write('error', m, e) };
}
