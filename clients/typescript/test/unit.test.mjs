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
