// A request's Content-Type as the gateway compares it.
// https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1 — type and subtype are case-insensitive,
// and parameters (`; charset=utf-8`) follow them.

/** The media type of a Content-Type header, lower-cased and without parameters (`APPLICATION/JSON; charset=utf-8` → `application/json`); '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}
