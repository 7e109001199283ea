// The retry loop, the endpoints and their circuits, and the wire observation. Each attempt builds a
// fresh official `Ollama` client pointed at one endpoint, with a fetch that adds the attempt's abort
// signal and records what came back (status, headers, the body's `{"error": ...}` line): the official
// client keeps its signatures and parsing, and this file only decides where to send, when to retry and
// what to call the failure.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ollama, type AbortableAsyncIterator } from 'ollama';

import { fullJitterDelay, parseRetryAfter } from './backoff.js';
import { CircuitBreaker, type BreakerOptions, type CircuitState, type StateChange } from './circuit_breaker.js';
import {
  CircuitOpenError, ConnectionError, CorralError, DeadlineExceededError, HttpStatusError, StreamError,
} from './errors.js';

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

interface Endpoint {
  url: string;
  breaker: CircuitBreaker;
}

/** What one attempt saw on the wire, filled in by the injected fetch. */
interface Wire {
  fetched: boolean;
  response?: Response;
  serverError?: string;
}

/**
 * How a failed attempt is judged. `retry`: `unprocessed` when the server certainly did not act on the
 * request (refused connection, 429, 503), so even a pull or a delete may be sent again; `safe` when it
 * may have started, which only side-effect-free calls may repeat. `health`: what it says about the endpoint.
 */
interface Failure {
  error: Error;
  retry: 'unprocessed' | 'safe' | 'never';
  health: 'failure' | 'alive' | 'unknown';
  retryAfterMs?: number;
}

// Calls that change the server's model store.
const MUTATING = new Set(['create', 'pull', 'push', 'delete', 'copy']);

/** Thrown by an attempt, caught by the retry loop: the judged failure. */
class AttemptFailed {
  constructor(readonly failure: Failure) {}
}

export class Engine {
  readonly direct: Ollama;
  readonly #endpoints: Endpoint[];
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #retry: Required<RetryOptions>;
  readonly #hooks: Hooks;
  readonly #random: () => number;
  readonly #streams = new Set<AbortableAsyncIterator<object>>();
  #next = 0;

  constructor(options: CorralClientOptions) {
    const hosts = typeof options.hosts === 'string' ? [options.hosts] : options.hosts;
    if (hosts.length === 0) throw new TypeError('corral-client: at least one host is required');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#headers = options.headers ?? {};
    this.#retry = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000, deadlineMs: 300_000, ...options.retry };
    this.#hooks = options.hooks ?? {};
    this.#random = options.random ?? Math.random;
    const onChange = (c: StateChange) => this.#notify('onStateChange', c);
    this.#endpoints = hosts.map((url) => ({ url, breaker: new CircuitBreaker(url, options.breaker ?? {}, onChange) }));
    this.direct = new Ollama({ headers: this.#headers, fetch: this.#fetch });
  }

  // A hook is the application's logging: its bug must not fail the call it was told about.
  #notify<K extends keyof Hooks>(hook: K, event: Parameters<NonNullable<Hooks[K]>>[0]): void {
    try {
      (this.#hooks[hook] as ((e: typeof event) => void) | undefined)?.(event);
    } catch (e) {
      process.emitWarning(`corral-client: the ${hook} hook threw: ${(e as Error)?.message ?? e}`);
    }
  }

  endpoints(): EndpointStatus[] {
    return this.#endpoints.map((e) => ({ url: e.url, state: e.breaker.state }));
  }

  abortStreams(): void {
    for (const s of this.#streams) s.abort();
    this.#streams.clear();
  }

  async call(method: string, args: unknown[], call: CallOptions): Promise<unknown> {
    call.signal?.throwIfAborted();
    const requestId = call.requestId ?? randomUUID().replaceAll('-', '');
    const deadline = Date.now() + (call.deadlineMs ?? this.#retry.deadlineMs);
    let last: { failure: Failure; endpoint: Endpoint } | undefined;
    // Retry-After binds this call only: the next attempt avoids that endpoint until then, or waits.
    const notBefore = new Map<Endpoint, number>();
    for (let attempt = 1; ; attempt++) {
      const now = Date.now();
      const pick = this.#pick(now, notBefore);
      if (!pick) {
        const probeIn = Math.min(...this.#endpoints.map((e) => e.breaker.waitMs(now)));
        throw new CircuitOpenError(probeIn, { requestId, attempts: attempt - 1, cause: last?.failure.error });
      }
      const endpoint = pick.endpoint;
      let delayMs = 0;
      if (last) {
        const backoff = fullJitterDelay(attempt - 1, this.#retry.baseDelayMs, this.#retry.maxDelayMs, this.#random);
        // Jitter on top of Retry-After too: the callers a full queue refused together must not return together.
        delayMs = pick.waitMs + backoff;
        const error = last.failure.error as CorralError;
        if (now + delayMs >= deadline) {
          throw new DeadlineExceededError(`deadline passed after ${attempt - 1} attempts: ${error.message}`,
                                          { requestId, endpoint: last.endpoint.url, attempts: attempt - 1, cause: error });
        }
        this.#notify('onRetry', { requestId, endpoint: last.endpoint.url, attempt: attempt - 1, delayMs,
                                  retryAfterMs: last.failure.retryAfterMs, error });
      }
      // Taken before the wait, so a half-open probe stays ours; #pick saw this circuit admit at `now`.
      endpoint.breaker.tryAcquire(now);
      if (delayMs > 0) {
        try {
          await sleep(delayMs, undefined, { signal: call.signal });
        } catch (e) {
          endpoint.breaker.release();
          throw e;
        }
      }
      try {
        const result = await this.#attempt(endpoint, method, args, requestId, call.signal, deadline);
        endpoint.breaker.success();
        return result;
      } catch (thrown) {
        if (!(thrown instanceof AttemptFailed)) throw thrown;
        const failure = thrown.failure;
        if (failure.health === 'failure') endpoint.breaker.failure(Date.now(), failure.error.message);
        else if (failure.health === 'alive') endpoint.breaker.success();
        else endpoint.breaker.release();
        if (failure.error instanceof CorralError) failure.error.attempts = attempt;
        const retryable = failure.retry === 'unprocessed' || (failure.retry === 'safe' && !MUTATING.has(method));
        if (!retryable || attempt >= this.#retry.maxAttempts) throw failure.error;
        if (failure.retryAfterMs !== undefined) notBefore.set(endpoint, Date.now() + failure.retryAfterMs);
        last = { failure, endpoint };
      }
    }
  }

  // Round robin over endpoints whose circuit admits a request, starting after the last one used, so a
  // retry fails over to another replica; among those, the one whose Retry-After ends first.
  #pick(now: number, notBefore: Map<Endpoint, number>): { endpoint: Endpoint; waitMs: number } | undefined {
    let best: { endpoint: Endpoint; waitMs: number; index: number } | undefined;
    for (let i = 0; i < this.#endpoints.length; i++) {
      const index = (this.#next + i) % this.#endpoints.length;
      const endpoint = this.#endpoints[index];
      if (endpoint.breaker.waitMs(now) > 0) continue;
      const waitMs = Math.max(0, (notBefore.get(endpoint) ?? 0) - now);
      if (!best || waitMs < best.waitMs) best = { endpoint, waitMs, index };
    }
    if (best) this.#next = best.index + 1;
    return best;
  }

  async #attempt(endpoint: Endpoint, method: string, args: unknown[], requestId: string,
                 signal: AbortSignal | undefined, deadline: number): Promise<unknown> {
    const wire: Wire = { fetched: false };
    const deadlineCtl = new AbortController();
    const timer = setTimeout(() => deadlineCtl.abort(), Math.max(0, deadline - Date.now()));
    const attemptSignal = signal ? AbortSignal.any([signal, deadlineCtl.signal]) : deadlineCtl.signal;
    const inner = new Ollama({
      host: endpoint.url,
      headers: { ...this.#headers, 'X-Request-ID': requestId },
      fetch: (input, init) => this.#observe(wire, attemptSignal, input, init),
    });
    try {
      const result: unknown = await (inner as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...args);
      if (!isStream(result)) return result;
      // The first chunk is awaited here, inside the retry loop: until the caller holds a chunk, a broken
      // stream is as retryable as a refused connection.
      const chunks = result[Symbol.asyncIterator]();
      const first = await chunks.next();
      return this.#relay(result, chunks, first, wire, requestId, endpoint.url, signal);
    } catch (raw) {
      const deadlinePassed = deadlineCtl.signal.aborted && !signal?.aborted;
      throw new AttemptFailed(this.#judge(raw, wire, deadlinePassed, endpoint, requestId, signal));
    } finally {
      clearTimeout(timer);
    }
  }

  async #observe(wire: Wire, signal: AbortSignal, input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    wire.fetched = true;
    const response = await this.#fetch(input, { ...init, signal: init.signal ? AbortSignal.any([signal, init.signal]) : signal });
    wire.response = response;
    if (!response.ok || !response.body) return response;
    const body = response.body.pipeThrough(errorLineWatcher(wire));
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  // Hands the caller an AbortableAsyncIterator of the official client's own class (it is not exported)
  // that replays the first chunk, names a broken stream as StreamError, and cancels the request when the
  // caller stops early, so the worker stops generating for nobody.
  #relay(inner: AbortableAsyncIterator<object>, chunks: AsyncIterator<object>, first: IteratorResult<object>,
         wire: Wire, requestId: string, endpoint: string, signal: AbortSignal | undefined): AbortableAsyncIterator<object> {
    const controller = new AbortController();
    controller.signal.addEventListener('abort', () => inner.abort(), { once: true });
    let delivered = 0;
    async function* replay(): AsyncGenerator<object> {
      let finished = false;
      try {
        for (let next = first; !next.done; next = await chunks.next()) {
          delivered += 1;
          // The caller stops asking after the final chunk; that is the end, not an early exit to cancel.
          finished = isFinal(next.value);
          yield next.value;
        }
        finished = true;
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        const why = wire.serverError ?? (e as Error).message;
        throw new StreamError(`stream broken after ${delivered} chunks: ${why}`, wire.serverError, delivered,
                              { requestId: responseRequestId(wire, requestId), endpoint, cause: e });
      } finally {
        if (!finished) inner.abort();
      }
    }
    type Ctor = new (c: AbortController, i: AsyncGenerator<object>, done: () => void) => AbortableAsyncIterator<object>;
    const Iterator = inner.constructor as Ctor;
    const outer: AbortableAsyncIterator<object> = new Iterator(controller, replay(), () => this.#streams.delete(outer));
    this.#streams.add(outer);
    return outer;
  }

  #judge(raw: unknown, wire: Wire, deadlinePassed: boolean, endpoint: Endpoint, requestId: string,
         signal: AbortSignal | undefined): Failure {
    const context = { requestId: responseRequestId(wire, requestId), endpoint: endpoint.url, cause: raw };
    if (deadlinePassed) {
      return { error: new DeadlineExceededError('deadline passed while waiting for an answer', context), retry: 'never', health: 'unknown' };
    }
    if (isAbort(raw, signal) || !wire.fetched) return { error: raw as Error, retry: 'never', health: 'unknown' };
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
      // The head arrived, the body broke before the caller got anything: the endpoint answered.
      const message = wire.serverError ?? (raw as Error).message;
      const error = wire.serverError !== undefined
        ? new StreamError(`stream broken before the first chunk: ${message}`, wire.serverError, 0, context)
        : new ConnectionError(`connection lost while reading the answer: ${message}`, errorCode(raw), context);
      return { error, retry: 'safe', health: 'alive' };
    }
    const code = errorCode(raw);
    const error = new ConnectionError(`cannot reach ${endpoint.url}: ${code ?? (raw as Error).message}`, code, context);
    return { error, retry: code === 'ECONNREFUSED' ? 'unprocessed' : 'safe', health: 'failure' };
  }
}

function isStream(value: unknown): value is AbortableAsyncIterator<object> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value &&
         typeof (value as { abort?: unknown }).abort === 'function';
}

// The official client's own end markers: `done` for generations, `status: success` for pull and push.
function isFinal(chunk: object): boolean {
  const c = chunk as { done?: unknown; status?: unknown };
  return c.done === true || c.status === 'success';
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (e as Error | null)?.name === 'AbortError';
}

function responseRequestId(wire: Wire, fallback: string): string {
  return wire.response?.headers.get('x-request-id') ?? fallback;
}

// undici puts the system error under `cause` (TypeError: fetch failed { cause: ECONNREFUSED }).
function errorCode(e: unknown): string | undefined {
  for (let c = e as { code?: unknown; cause?: unknown } | undefined; c; c = c.cause as typeof c) {
    if (typeof c.code === 'string') return c.code;
  }
  return undefined;
}

// Passes the body through unchanged and remembers an NDJSON `{"error": ...}` line, Ollama's (and
// Corral's) way of saying a stream failed after its 200 head.
function errorLineWatcher(wire: Wire): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let tail = '';
  const scan = (text: string) => {
    const lines = (tail + text).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) remember(line);
  };
  const remember = (line: string) => {
    if (!line.trimStart().startsWith('{"error"')) return;
    try {
      const parsed = JSON.parse(line) as { error?: unknown };
      wire.serverError = typeof parsed.error === 'string' ? parsed.error : JSON.stringify(parsed.error);
    } catch {
      // Not JSON after all: the official client's parser reports it.
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      scan(decoder.decode(chunk, { stream: true }));
      controller.enqueue(chunk);
    },
    flush() {
      scan(decoder.decode());
      remember(tail);
    },
  });
}
