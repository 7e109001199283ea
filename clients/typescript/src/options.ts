// The client's settings and the events it reports, in one place for the application's reader.
import type { BreakerOptions, CircuitState, StateChange } from './circuit_breaker.js';
import type { CorralError } from './errors.js';

export interface RetryOptions {
  /** Attempts per call, the first included. Default 5. */
  maxAttempts?: number;
  /** Backoff ceiling of the first retry; it doubles per retry. Default 200 ms. */
  baseDelayMs?: number;
  /** Cap on the backoff ceiling. Default 5000 ms. */
  maxDelayMs?: number;
  /**
   * A call gives up retrying, and stops waiting for its answer (a stream: its first chunk), after this
   * long; a stream already flowing is never cut. Default 300 s, Corral's own first-byte timeout, which
   * covers a model load.
   */
  deadlineMs?: number;
}

export interface RetryEvent {
  requestId: string;
  /** The endpoint whose attempt failed. */
  endpoint: string;
  /** The number of the attempt that failed (1 = the first). */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** The server's Retry-After, when it sent one. */
  retryAfterMs?: number;
  error: CorralError;
}

export interface Hooks {
  onRetry?(event: RetryEvent): void;
  onStateChange?(change: StateChange): void;
}

export interface CorralClientOptions {
  /** Base URLs of the gateway replicas (or Ollama servers), e.g. `http://10.0.0.5:11434`. */
  hosts: string | string[];
  /** Sent with every request (an `Authorization` header, say). */
  headers?: Record<string, string>;
  /** The fetch underneath; default the global one. */
  fetch?: typeof fetch;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  hooks?: Hooks;
  /** Source of jitter; tests pin it. Default Math.random. */
  random?: () => number;
}

/** Per-call settings, given through `client.withOptions(...)`. */
export interface CallOptions {
  /** Aborts the call at any point; it reaches the socket, so Corral cancels the generation. */
  signal?: AbortSignal;
  /** X-Request-ID sent on every attempt of the call; default a fresh 32-hex-digit id. */
  requestId?: string;
  /** Overrides `retry.deadlineMs` for this call. */
  deadlineMs?: number;
}

export interface EndpointStatus {
  url: string;
  state: CircuitState;
}
