export { CorralClient, type OllamaApi } from './client.js';
export type { CallOptions, CorralClientOptions, EndpointStatus, Hooks, RetryEvent, RetryOptions } from './options.js';
export type { BreakerOptions, CircuitState, StateChange } from './circuit_breaker.js';
export { CircuitBreaker } from './circuit_breaker.js';
export { fullJitterDelay, parseRetryAfter } from './backoff.js';
export {
  CircuitOpenError, ConnectionError, CorralError, DeadlineExceededError, HttpStatusError, StreamError,
  type ErrorContext,
} from './errors.js';
export type * from 'ollama';
