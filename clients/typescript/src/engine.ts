// The retry loop over endpoints and their circuits. Each attempt builds a fresh official `Ollama` client
// pointed at one endpoint, with a fetch that carries the attempt's abort signal and records what came
// back (wire.ts): the official client keeps its signatures and its parsing, and this file only decides
// where to send, when to send again, and what the caller gets back.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ollama, type AbortableAsyncIterator } from 'ollama';

import { fullJitterDelay } from './backoff.js';
import { CircuitBreaker, type StateChange } from './circuit_breaker.js';
import { CircuitOpenError, CorralError, DeadlineExceededError, StreamError } from './errors.js';
import { isAbort, judge, mayRetry, type Failure } from './failure.js';
import type { CallOptions, CorralClientOptions, EndpointStatus, Hooks, RetryOptions } from './options.js';
import { observedFetch, responseRequestId, type Wire } from './wire.js';

interface Endpoint {
  url: string;
  breaker: CircuitBreaker;
}

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
        if (!mayRetry(failure, method) || attempt >= this.#retry.maxAttempts) throw failure.error;
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
      fetch: observedFetch(this.#fetch, wire, attemptSignal),
    });
    let stream: AbortableAsyncIterator<object> | undefined;
    try {
      const result: unknown = await (inner as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...args);
      if (!isStream(result)) return result;
      stream = result;
      // The first chunk is awaited here, inside the retry loop: until the caller holds a chunk, a broken
      // stream is as retryable as a refused connection.
      const chunks = stream[Symbol.asyncIterator]();
      const first = await chunks.next();
      return this.#relay(stream, chunks, first, wire, requestId, endpoint.url, signal);
    } catch (raw) {
      stream?.abort();  // the next attempt must not leave this one's socket streaming
      const deadlinePassed = deadlineCtl.signal.aborted && !signal?.aborted;
      throw new AttemptFailed(judge(raw, wire, { endpoint: endpoint.url, requestId, signal, deadlinePassed }));
    } finally {
      clearTimeout(timer);
    }
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
        forget();
      }
    }
    type Ctor = new (c: AbortController, i: AsyncGenerator<object>, done: () => void) => AbortableAsyncIterator<object>;
    const Iterator = inner.constructor as Ctor;
    // Forgotten when it ends in any way, so a long-lived client does not keep every broken stream.
    const forget = () => this.#streams.delete(outer);
    const outer: AbortableAsyncIterator<object> = new Iterator(controller, replay(), forget);
    this.#streams.add(outer);
    return outer;
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
