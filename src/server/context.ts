// Per-request context: built for every HTTP request and WebSocket operation.
export interface GatewayContext {
  requestId: string;
}
