// The typed errors an application sees. They extend Error (never strings), carry the request id Corral
// echoed (or the one we sent) so a failure can be found in the gateway's logs, and say how many attempts
// were spent. HttpStatusError keeps the official client's `error` and `status_code` fields so code written
// against `ollama`'s ResponseError keeps working.

export interface ErrorContext {
  requestId?: string;
  endpoint?: string;
  attempts?: number;
  cause?: unknown;
}

export class CorralError extends Error {
  readonly requestId?: string;
  readonly endpoint?: string;
  attempts: number;

  constructor(message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.requestId = context.requestId;
    this.endpoint = context.endpoint;
    this.attempts = context.attempts ?? 1;
  }
}

/** The server answered with a non-2xx status. */
export class HttpStatusError extends CorralError {
  readonly status: number;
  /** From `Retry-After` (seconds or an HTTP date), when the server sent one. */
  readonly retryAfterMs?: number;
  /** Same as `message`; the official client's name for it. */
  readonly error: string;
  /** Same as `status`; the official client's name for it. */
  readonly status_code: number;

  constructor(message: string, status: number, retryAfterMs: number | undefined, context: ErrorContext) {
    super(message, context);
    this.status = this.status_code = status;
    this.error = message;
    this.retryAfterMs = retryAfterMs;
  }
}

/** No HTTP answer: refused, reset, unreachable, or the body was cut before it was complete. */
export class ConnectionError extends CorralError {
  /** The system error code when there is one (ECONNREFUSED, ECONNRESET, ...). */
  readonly code?: string;

  constructor(message: string, code: string | undefined, context: ErrorContext) {
    super(message, context);
    this.code = code;
  }
}

/** Every endpoint's circuit is open: failing fast instead of adding load to a fleet known to be down. */
export class CircuitOpenError extends CorralError {
  /** When the earliest circuit lets a probe through. */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, context: ErrorContext) {
    super(`circuit open for every endpoint; next probe in ${retryAfterMs} ms`, context);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A stream broke after part of it reached the caller: the worker died, the gateway sent its
 * `{"error": ...}` line, or the connection closed without the final `done` chunk. Never retried,
 * since the caller already holds a prefix of the answer.
 */
export class StreamError extends CorralError {
  /** The text of the server's `{"error": ...}` line, when it sent one. */
  readonly serverError?: string;
  /** Chunks handed to the caller before the break. */
  readonly chunksDelivered: number;

  constructor(message: string, serverError: string | undefined, chunksDelivered: number, context: ErrorContext) {
    super(message, context);
    this.serverError = serverError;
    this.chunksDelivered = chunksDelivered;
  }
}

/** The call's overall deadline passed while it was still retrying or waiting for the first answer. */
export class DeadlineExceededError extends CorralError {}
