// Per-request context: built for every HTTP request and WebSocket operation, holding that
// request's DataLoaders (never shared between requests) and the long-lived services.
import type { GatewayServices, RequestLoaders } from '../gateway/loaders.ts';

export interface GatewayContext {
  requestId: string;
  loaders: RequestLoaders;
  services: GatewayServices;
}
