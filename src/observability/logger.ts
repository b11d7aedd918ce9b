// One line per event on stderr: readable in a terminal, greppable in a log store. Every line is
// redacted (redact.ts): a connection string or token inside an error message stays out of the log.
import type { Logger } from '../server/http.ts';
import { redact } from './redact.ts';

export function createLogger(options: { quiet?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const out = options.stream ?? process.stderr;
  const write = (level: string, msg: string, extra?: Record<string, unknown>): void => {
    if (options.quiet && level === 'info') return;
    const fields = extra ? ' ' + Object.entries(extra).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '';
    out.write(redact(`${new Date().toISOString()} ${level} ${msg}${fields}`) + '\n');
  };
  return { info: (m, e) => write('info', m, e), error: (m, e) => write('error', m, e) };
}
