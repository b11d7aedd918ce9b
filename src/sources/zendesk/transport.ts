// node-zendesk's transport (its documented `transportConfig`: a request function and an adapter
// for what it returns) on Node's own http client (../http-transport.ts) instead of its default,
// cross-fetch (node-fetch v2). node-zendesk still builds every request (URL, authorization,
// headers, body) and reads every answer; this only carries them (docs/sources/zendesk.md).
import { headerValue, sendWhole, type WholeAnswer } from '../http-transport.ts';

export { MAX_ANSWER_BYTES } from '../http-transport.ts';

/** The shape node-zendesk reads (as its fetch adapter gives it). */
export interface AdaptedAnswer {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

function adapt(answer: WholeAnswer): AdaptedAnswer {
  return {
    status: answer.status,
    statusText: answer.statusText,
    headers: {
      get: (name) => headerValue(answer.headers[name.toLowerCase()]),
    },
    json: () => new Promise((resolve) => resolve(JSON.parse(answer.body.toString('utf8')) as unknown)),
  };
}

/** `transportConfig` for `zendesk.createClient`: node-zendesk hands `sendWhole` its prepared request (other client options ride along). */
export const nodeHttpTransport = { transportFn: sendWhole, responseAdapter: adapt };
