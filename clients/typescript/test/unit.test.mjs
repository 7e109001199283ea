// The pure pieces: backoff, Retry-After parsing, the circuit's state machine on a moved clock, and the
// promise that every method of the official client is present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { CircuitBreaker, CorralClient, fullJitterDelay, parseRetryAfter } from '../dist/index.js';

test('full jitter stays under the doubling ceiling and its cap', () => {
  assert.equal(fullJitterDelay(1, 100, 1000, () => 0.999), 99);
  assert.equal(fullJitterDelay(3, 100, 1000, () => 0.999), 399);
  assert.equal(fullJitterDelay(10, 100, 1000, () => 0.999), 999);
  assert.equal(fullJitterDelay(4, 100, 1000, () => 0), 0);
});

test('Retry-After as seconds or an HTTP date', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-1', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

function breaker(options) {
  const changes = [];
  const b = new CircuitBreaker('e', { cooldownMs: 1000, ...options }, (c) => changes.push(`${c.from}>${c.to}`));
  return { b, changes };
}

test('circuit: consecutive failures open it, the cool-down lets one probe through, success closes it', () => {
  const { b, changes } = breaker({ failureThreshold: 3 });
  b.failure(0, 'x');
  b.failure(0, 'x');
  b.success();                       // resets the run
  b.failure(0, 'x');
  b.failure(0, 'x');
  assert.equal(b.state, 'closed');
  b.failure(10, 'x');
  assert.equal(b.state, 'open');
  assert.equal(b.tryAcquire(500), false);
  assert.equal(b.waitMs(500), 510);
  assert.equal(b.tryAcquire(1010), true);
  assert.equal(b.state, 'half-open');
  assert.equal(b.tryAcquire(1010), false, 'one probe at a time');
  b.failure(1020, 'still down');
  assert.equal(b.state, 'open');
  assert.equal(b.tryAcquire(2019), false, 'a failed probe restarts the cool-down');
  assert.equal(b.tryAcquire(2020), true);
  b.success();
  assert.equal(b.state, 'closed');
  assert.deepEqual(changes, ['closed>open', 'open>half-open', 'half-open>open', 'open>half-open', 'half-open>closed']);
});

test('circuit: a failure ratio over the window opens it, not before the minimum', () => {
  const { b } = breaker({ failureThreshold: 100, failureRatio: 0.5, windowSize: 10, minimumRequests: 6 });
  for (let i = 0; i < 2; i++) { b.failure(0, 'x'); b.success(); }
  b.failure(0, 'x');
  assert.equal(b.state, 'closed', '3 of 5 is not judged yet');
  b.success();
  b.failure(0, 'x');
  assert.equal(b.state, 'open', '4 of 7 failed');
});

test('circuit: a released probe (caller aborted) frees the slot without a verdict', () => {
  const { b } = breaker({ failureThreshold: 1 });
  b.failure(0, 'x');
  assert.equal(b.tryAcquire(1000), true);
  b.release();
  assert.equal(b.state, 'half-open');
  assert.equal(b.tryAcquire(1000), true);
});

test('every public method of the official client is on CorralClient and its per-call view', () => {
  const client = new CorralClient({ hosts: 'http://127.0.0.1:1' });
  const names = new Set();
  for (let p = Object.getPrototypeOf(new Ollama()); p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (typeof p[n] === 'function') names.add(n);
  }
  for (const internal of ['constructor', 'processStreamableRequest', 'fileExists']) names.delete(internal);
  assert.ok(names.size >= 15, [...names].join());
  for (const n of names) {
    assert.equal(typeof client[n], 'function', `CorralClient.${n}`);
    assert.equal(typeof client.withOptions({})[n], 'function', `withOptions().${n}`);
  }
});

test('an open circuit fails fast without a request', async () => {
  let fetches = 0;
  const fetch = async () => { fetches += 1; throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }); };
  const client = new CorralClient({ hosts: ['http://a:1', 'http://b:1'], fetch, random: () => 0,
                                    retry: { maxAttempts: 5, baseDelayMs: 1 }, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
  await assert.rejects(client.list(), { name: 'CircuitOpenError' });
  assert.equal(fetches, 4, 'two attempts per endpoint, alternating, then both circuits are open');
  assert.deepEqual(client.endpoints().map((e) => e.state), ['open', 'open']);
  await assert.rejects(client.list(), (e) => e.name === 'CircuitOpenError' && e.retryAfterMs > 0);
  assert.equal(fetches, 4);
});

// A fetch that answers from a script of statuses and counts what it was asked.
function scripted(...answers) {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push({ url: String(url), signal: init.signal });
    const next = answers.shift() ?? { status: 200, body: { status: 'success' } };
    if (next.hang) {
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
    }
    return new Response(JSON.stringify(next.body ?? { error: `status ${next.status}` }), {
      status: next.status, headers: { 'content-type': 'application/json', ...next.headers } });
  };
  return { fetch, seen };
}

test('a Retry-After beyond the deadline ends the call at once, with the wait exposed', async () => {
  const { fetch, seen } = scripted({ status: 503, headers: { 'retry-after': '120' } });
  const client = new CorralClient({ hosts: 'http://a:1', fetch, retry: { deadlineMs: 30_000 } });
  await assert.rejects(client.list(), (e) => {
    assert.equal(e.name, 'DeadlineExceededError');
    assert.equal(e.attempts, 1);
    assert.equal(e.cause.status, 503);
    assert.equal(e.cause.retryAfterMs, 120_000);
    return true;
  });
  assert.equal(seen.length, 1);
});

test('the deadline aborts an attempt still waiting for its answer', async () => {
  const { fetch, seen } = scripted({ hang: true });
  const client = new CorralClient({ hosts: 'http://a:1', fetch });
  await assert.rejects(client.withOptions({ deadlineMs: 50 }).version(), { name: 'DeadlineExceededError' });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].signal.aborted, true, 'the abort reached fetch');
});

test('calls that change the model store are retried only when the server did not act', async () => {
  const retried = scripted({ status: 503, headers: { 'retry-after': '0' } });
  const a = new CorralClient({ hosts: 'http://a:1', fetch: retried.fetch, retry: { baseDelayMs: 1 } });
  assert.deepEqual(await a.delete({ model: 'm' }), { status: 'success' });
  assert.equal(retried.seen.length, 2, '503: not processed, so retried');

  const kept = scripted({ status: 502 });
  const b = new CorralClient({ hosts: 'http://a:1', fetch: kept.fetch, retry: { baseDelayMs: 1 } });
  await assert.rejects(b.pull({ model: 'm' }), (e) => e.name === 'HttpStatusError' && e.status === 502 && e.attempts === 1);
  assert.equal(kept.seen.length, 1, '502: maybe processed, so a pull is not sent twice');

  const idempotent = scripted({ status: 502 });
  const c = new CorralClient({ hosts: 'http://a:1', fetch: idempotent.fetch, retry: { baseDelayMs: 1 } });
  await c.show({ model: 'm' });
  assert.equal(idempotent.seen.length, 2, '502 on a read is retried');
});

test('4xx other than 429 is final; 429 with a Retry-After date is retried', async () => {
  const { fetch, seen } = scripted({ status: 400 });
  const client = new CorralClient({ hosts: 'http://a:1', fetch });
  await assert.rejects(client.embed({ model: 'm', input: 'x' }), (e) => e.status_code === 400 && e.attempts === 1);
  assert.equal(seen.length, 1);

  const retries = [];
  const limited = scripted({ status: 429, headers: { 'retry-after': new Date(Date.now() - 1000).toUTCString() } });
  const c = new CorralClient({ hosts: 'http://a:1', fetch: limited.fetch, retry: { baseDelayMs: 1 },
                               hooks: { onRetry: (e) => retries.push(e) } });
  await c.ps();
  assert.equal(limited.seen.length, 2);
  assert.equal(retries[0].retryAfterMs, 0);
  assert.equal(retries[0].error.status, 429);
});

test('a hook that throws does not fail the call it reports on', async () => {
  const { fetch, seen } = scripted({ status: 503, headers: { 'retry-after': '0' } });
  const warnings = [];
  const onWarning = (w) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const client = new CorralClient({ hosts: 'http://a:1', fetch, retry: { baseDelayMs: 1 },
                                      hooks: { onRetry: () => { throw new Error('logger down'); } } });
    assert.deepEqual(await client.version(), { status: 'success' });
    assert.equal(seen.length, 2);
    await new Promise((r) => setImmediate(r));
    assert.ok(warnings.some((m) => m.includes('logger down')), warnings.join());
  } finally {
    process.off('warning', onWarning);
  }
});

// A 200 answer whose body arrives in the given pieces.
function pieces(...parts) {
  return async () => new Response(new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  }), { status: 200, headers: { 'content-type': 'application/x-ndjson', 'x-request-id': 'echoed-1' } });
}

test('an error line split across reads is still named, after the chunks before it', async () => {
  const fetch = pieces('{"model":"m","response":"a","done":false}\n{"model":"m","resp', 'onse":"b","done":false}\n{"err',
                       'or":"upstream connection lost"}\n');
  const client = new CorralClient({ hosts: 'http://a:1', fetch });
  const stream = await client.generate({ model: 'm', prompt: 'p', stream: true });
  const parts = [];
  await assert.rejects(async () => { for await (const p of stream) parts.push(p.response); }, (e) => {
    assert.equal(e.name, 'StreamError');
    assert.equal(e.serverError, 'upstream connection lost');
    assert.equal(e.requestId, 'echoed-1');
    assert.equal(e.chunksDelivered, 2);
    return true;
  });
  assert.deepEqual(parts, ['a', 'b']);
});

test('a stream that ends without its final chunk is an error, not a short answer', async () => {
  const client = new CorralClient({ hosts: 'http://a:1', fetch: pieces('{"model":"m","response":"a","done":false}\n') });
  const stream = await client.generate({ model: 'm', prompt: 'p', stream: true });
  await assert.rejects(async () => { for await (const p of stream) void p; },
                       (e) => e.name === 'StreamError' && e.serverError === undefined && e.chunksDelivered === 1);
});

test('a large answer passes through the error-line watch intact', async () => {
  const embedding = Array.from({ length: 200_000 }, (_, i) => i / 7);
  const body = JSON.stringify({ model: 'm', embeddings: [embedding] });
  const cut = [0, 1, 5, 9, 70_000, 1_000_000, body.length];
  const client = new CorralClient({ hosts: 'http://a:1', fetch: pieces(...cut.slice(1).map((end, i) => body.slice(cut[i], end))) });
  const r = await client.embed({ model: 'm', input: 'x' });
  assert.deepEqual(r.embeddings[0], embedding);
});
