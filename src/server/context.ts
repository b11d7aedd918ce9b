// Per-request context: built for every HTTP request and WebSocket operation, holding that
// request's DataLoaders (never shared between requests) and the long-lived services.
import type { GatewayServices, RequestLoaders } from '../gateway/loaders.ts';
import type { Cacheability } from '../gateway/response-cache.ts';
import type { Principal } from '../access/principal.ts';

export interface GatewayContext {
  requestId: string;
  /** Who is asking (src/access/principal.ts). */
  principal: Principal;
  loaders: RequestLoaders;
  services: GatewayServices;
  /** Whether this request's answer may be served again from the response cache, and for which customers. */
  cacheability: Cacheability;
}
