// Credentials never leave the process in a message: configuration errors, log lines and start-up
// failures all pass through redact(). It errs on the side of hiding too much: a redacted value
// that was not a secret costs a reader a guess; a printed password costs a rotation.

const MASK = '***';

const RULES: readonly [RegExp, string][] = [
  // Passwords in URLs (postgres://app:Pw@db/x) and in URL-like strings without a scheme (app:Pw@db/x).
  // (The password runs to the last '@' before the host: an unencoded '@' in it is hidden too.)
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@'"`]*):([^\s'"`]*?)@(?=[^@\s/'"`]*(?:[/?#\s'"`]|$))/gi, `$1$2:${MASK}@`],
  [/(^|[\s"'(=])([^\s:/@'"`]+):([^\s@'"`/]+)@(?=[^\s@'"`]+)/g, `$1$2:${MASK}@`],
  // Secrets in query strings (?password=…&sslpassword=…&access_token=…).
  [/([?&;](?:[a-z_]*)(?:password|passwd|pwd|secret|token|api_?key|apikey|sslkey|signature|sig))=([^&\s'"`]+)/gi, `$1=${MASK}`],
  // KEY=value pairs whose key names a secret (environment dumps, log fields).
  [/\b([a-z0-9_]*(?:password|passwd|secret|token|api_?key|access_?key))=([^\s&'"`,;]+)/gi, `$1=${MASK}`],
  // "password": "…" in JSON.
  [/("(?:[a-z0-9_]*)(?:password|passwd|secret|token|api_?key)"\s*:\s*)"[^"]*"/gi, `$1"${MASK}"`],
  // HTTP credentials.
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=!-]{6,}/g, `$1 ${MASK}`],
  // Stripe keys and webhook secrets, masked or not (sk_live_…, rk_test_****abcd, whsec_…).
  [/\b((?:sk|rk)_(?:live|test)_)[A-Za-z0-9*]+/g, `$1${MASK}`],
  [/\bwhsec_[A-Za-z0-9*]+/g, `whsec_${MASK}`],
  // Salesforce session ids: the org id, '!', then the secret part.
  [/\b(00D[A-Za-z0-9]{12,15})![A-Za-z0-9._]+/g, `$1!${MASK}`],
];

/** The text with every credential it contains replaced by ***. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

/** host:port of a URL, for messages that should name a server but nothing else of its URL. */
export function hostOf(url: string, defaultPort?: number): string {
  try {
    const u = new URL(url);
    const port = u.port || (defaultPort === undefined ? '' : String(defaultPort));
    return port ? `${u.hostname}:${port}` : u.hostname;
  } catch {
    return '(unparsable URL)';
  }
}

/** The first line of an error's message, redacted and bounded: what a one-line report may say of it. */
export function oneLine(e: unknown, max = 300): string {
  const text = e instanceof Error ? e.message || e.name : String(e);
  const first = redact(text.split('\n')[0] ?? '').trim();
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/**
 * What a log line says of an error: its name and message (`RangeError: Maximum call stack size
 * exceeded`), never its stack, which names source paths and says nothing an operator acts on.
 */
export function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.message ? `${e.name}: ${e.message}` : e.name;
}
