export { systemClock, createManualClock, type Clock, type ManualClock } from './clock.ts';
export { withTimeout, TimeoutError } from './timeout.ts';
export {
  createCircuitBreaker,
  CircuitOpenError,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  type FailureRateThreshold,
} from './circuit-breaker.ts';
