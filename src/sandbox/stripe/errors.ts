// Stripe's error envelope: `{ error: { type, code?, param?, message, doc_url? } }`.
// stripe-node picks its error class from the HTTP status (and `type` for idempotency errors),
// so each helper fixes both. https://docs.stripe.com/api/errors
import type { EmulatorResponse } from '../kit/server.ts';

export type StripeErrorType = 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'card_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

/** Thrown by handlers and turned into Stripe's JSON error answer by the route wrapper. */
export class StripeApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, body: StripeErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.name = 'StripeApiError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }

  toResponse(): EmulatorResponse {
    return { status: this.status, headers: this.headers, body: { error: this.body } };
  }
}

const docUrl = (code: string): string => `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;

export function invalidRequest(message: string, extra: { code?: string; param?: string } = {}, status = 400): StripeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (extra.code !== undefined) {
    body.code = extra.code;
    body.doc_url = docUrl(extra.code);
  }
  if (extra.param !== undefined) body.param = extra.param;
  return new StripeApiError(status, body);
}

/** "No such customer: 'cus_x'" — Stripe names the object type in the message. */
export function resourceMissing(objectName: string, id: string, param = 'id'): StripeApiError {
  return invalidRequest(`No such ${objectName}: '${id}'`, { code: 'resource_missing', param }, 404);
}

export function unknownParameter(param: string): StripeApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });
}

export function missingParameter(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}
