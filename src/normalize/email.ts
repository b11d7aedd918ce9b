// E-mail addresses. The canonical form only trims and lower-cases: the local part is
// case-sensitive by RFC 5321 but no mail system we meet treats it so, and every system we read
// (Zendesk included) compares addresses case-insensitively.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trimmed, lower-cased address; `null` when it is not an address. " Jon.Smith@Acme.Com" → "jon.smith@acme.com". */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const s = raw.trim().toLowerCase();
  return EMAIL.test(s) ? s : null;
}

/**
 * A key for matching, never a value to store: the normalized address without its `+tag`
 * ("jon+billing@acme.com" → "jon@acme.com"). Sub-addresses reach the same mailbox.
 */
export function emailMatchKey(raw: unknown): string | null {
  const e = normalizeEmail(raw);
  if (e === null) return null;
  const at = e.lastIndexOf('@');
  const local = e.slice(0, at);
  const plus = local.indexOf('+');
  return plus > 0 ? `${local.slice(0, plus)}${e.slice(at)}` : e;
}

/** Free-mail providers: their domain says nothing about the company. */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'outlook.com', 'hotmail.com', 'hotmail.co.uk', 'live.com',
  'msn.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com', 'gmx.de', 'gmx.net', 'web.de', 'proton.me', 'protonmail.com',
]);

/** The company domain an address reveals; `null` for free-mail addresses. */
export function emailDomain(raw: unknown): string | null {
  const e = normalizeEmail(raw);
  if (e === null) return null;
  const d = e.slice(e.lastIndexOf('@') + 1);
  return FREE_MAIL_DOMAINS.has(d) ? null : d;
}

/**
 * A bare host from a URL or domain as people type it: "https://www.Acme.com/" → "acme.com".
 * Takes the first element of an array (Zendesk `domain_names`).
 */
export function normalizeDomain(raw: unknown): string | null {
  const v = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (typeof v !== 'string') return null;
  let s = v.trim().toLowerCase();
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s.replace(/[/?#].*$/, '').replace(/:\d+$/, '').replace(/^www\./, '').replace(/\.$/, '');
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(s) ? s : null;
}

/** A website as `https://<domain>`: one spelling for `www.acme.com`, `http://acme.com/`, `acme.com`. */
export function normalizeWebsite(raw: unknown): string | null {
  const d = normalizeDomain(raw);
  return d === null ? null : `https://${d}`;
}
