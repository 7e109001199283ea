// How a failed attempt is judged: the typed error the caller may see, whether it may be sent again, and
// what it says about the endpoint's health. Pure: everything it needs is in its arguments.
import { parseRetryAfter } from './backoff.js';
import { ConnectionError, DeadlineExceededError, HttpStatusError, StreamError, type ErrorContext } from './errors.js';
import { responseRequestId, type Wire } from './wire.js';

/**
 * `retry`: `unprocessed` when the server certainly did not act on the request (refused connection, 429,
 * 503), so even a pull or a delete may be sent again; `safe` when it may have started, which only
 * side-effect-free calls may repeat. `health`: `failure` counts against the endpoint's circuit, `alive`
 * for it, `unknown` neither (the caller left).
 */
export interface Failure {
  error: Error;
  retry: 'unprocessed' | 'safe' | 'never';
  health: 'failure' | 'alive' | 'unknown';
  retryAfterMs?: number;
}

// Calls that change the server's model store.
const MUTATING = new Set(['create', 'pull', 'push', 'delete', 'copy']);

export function mayRetry(failure: Failure, method: string): boolean {
  return failure.retry === 'unprocessed' || (failure.retry === 'safe' && !MUTATING.has(method));
}

export interface Attempt {
  endpoint: string;
  requestId: string;
  signal?: AbortSignal;
  deadlinePassed: boolean;
}

export function judge(raw: unknown, wire: Wire, attempt: Attempt): Failure {
  const context: ErrorContext = { requestId: responseRequestId(wire, attempt.requestId), endpoint: attempt.endpoint, cause: raw };
  if (attempt.deadlinePassed) {
    return { error: new DeadlineExceededError('deadline passed while waiting for an answer', context), retry: 'never', health: 'unknown' };
  }
  if (isAbort(raw, attempt.signal) || !wire.fetched) return { error: raw as Error, retry: 'never', health: 'unknown' };
  const status = (raw as { status_code?: unknown }).status_code;
  if (typeof status === 'number') {
    const message = String((raw as { error?: unknown }).error ?? (raw as Error).message);
    const retryAfterMs = parseRetryAfter(wire.response?.headers.get('retry-after'), Date.now());
    const error = new HttpStatusError(message, status, retryAfterMs, context);
    const retry = status === 429 || status === 503 ? 'unprocessed' : status === 502 || status === 504 ? 'safe' : 'never';
    // Like Corral's own outlier detection: "server busy" is overload, not a broken endpoint.
    const broken = status === 502 || status === 504 || (status === 503 && !/busy/i.test(message));
    return { error, retry, health: broken ? 'failure' : 'alive', retryAfterMs };
  }
  if (wire.response) {
    // The head arrived and the body broke before the caller got anything: the endpoint did answer.
    const message = wire.serverError ?? (raw as Error).message;
    const error = wire.serverError !== undefined
      ? new StreamError(`stream broken before the first chunk: ${message}`, wire.serverError, 0, context)
      : new ConnectionError(`connection lost while reading the answer: ${message}`, errorCode(raw), context);
    return { error, retry: 'safe', health: 'alive' };
  }
  const code = errorCode(raw);
  const error = new ConnectionError(`cannot reach ${attempt.endpoint}: ${code ?? (raw as Error).message}`, code, context);
  return { error, retry: code === 'ECONNREFUSED' ? 'unprocessed' : 'safe', health: 'failure' };
}

export function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (e as Error | null)?.name === 'AbortError';
}

// undici puts the system error under `cause` (TypeError: fetch failed { cause: ECONNREFUSED }).
function errorCode(e: unknown): string | undefined {
  for (let c = e as { code?: unknown; cause?: unknown } | undefined; c; c = c.cause as typeof c) {
    if (typeof c.code === 'string') return c.code;
  }
  return undefined;
}
