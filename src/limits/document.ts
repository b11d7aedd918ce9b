// The first check on a GraphQL document, before it is parsed: its size in bytes and in tokens.
// Parsing is what a huge document costs, so both are measured without parsing: bytes by
// Buffer.byteLength, tokens by graphql-js's own lexer, stopping at the first token past the limit.
import { Lexer, Source, TokenKind } from 'graphql';
import { OperationLimitError } from './errors.ts';

export interface DocumentLimits {
  maxBytes: number;
  maxTokens: number;
}

/**
 * Tokens in `query` as the parser would read them (comments are not tokens), counting up to
 * `stopAfter` + 1 at most. A lexical error stops the count: the parser reports it.
 */
export function countTokens(query: string, stopAfter: number): number {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  try {
    while (n <= stopAfter && lexer.advance().kind !== TokenKind.EOF) n++;
  } catch {
    // A syntax error: the parser will name it; the count so far stands.
  }
  return n;
}

/** DOCUMENT_TOO_LARGE or TOKEN_LIMIT_EXCEEDED for a document past the limits; null when it fits. */
export function checkDocument(query: string, limits: DocumentLimits): OperationLimitError | null {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: short documents skip the count.
  if (query.length * 3 > limits.maxBytes) {
    const bytes = Buffer.byteLength(query, 'utf8');
    if (bytes > limits.maxBytes) return new OperationLimitError('bytes', bytes, limits.maxBytes);
  }
  // A token is at least one character: a document shorter than the limit cannot exceed it.
  if (query.length > limits.maxTokens) {
    const tokens = countTokens(query, limits.maxTokens);
    if (tokens > limits.maxTokens) return new OperationLimitError('tokens', tokens, limits.maxTokens, { atLeast: true });
  }
  return null;
}
