// Streams through `corral serve` in quick mode: cancellation that reaches the worker, a worker dying
// mid-stream raised as a typed error (never a clean end), and the request id carried into errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CorralClient, HttpStatusError, StreamError } from '../dist/index.js';
import { MODEL, eventually, killAll, quickGateway, simFault, simStats, startSim } from './support.mjs';

let sim;
let client;

before(async () => {
  sim = await startSim({ tokensPerSecond: 20 });
  const gateway = await quickGateway([sim]);
  client = new CorralClient({ hosts: `http://${gateway.address}` });
});

after(killAll);

test('a streamed chat keeps the official shape: an AbortableAsyncIterator ending with done', async () => {
  const stream = await client.chat({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true,
                                     options: { num_predict: 5 } });
  assert.equal(stream.constructor.name, 'AbortableAsyncIterator');
  const parts = [];
  for await (const part of stream) parts.push(part);
  assert.equal(parts.length, 6);
  assert.equal(parts.at(-1).done, true);
  assert.ok(parts.slice(0, -1).every((p) => p.done === false && typeof p.message.content === 'string'));
});

test('an AbortSignal reaches the socket: the worker counts the generation as cancelled', async () => {
  const before = (await simStats(sim)).cancelled;
  const controller = new AbortController();
  const stream = await client.withOptions({ signal: controller.signal })
    .generate({ model: MODEL, prompt: 'long', stream: true, options: { num_predict: 400 } });
  let parts = 0;
  await assert.rejects(async () => {
    for await (const part of stream) {
      void part;
      if (++parts === 2) controller.abort();
    }
  }, { name: 'AbortError' });
  assert.equal(parts, 2);
  await eventually(async () => (await simStats(sim)).cancelled === before + 1);

  // Not streamed: the call is aborted while the worker is still generating.
  const later = new AbortController();
  const pending = client.withOptions({ signal: later.signal }).generate({ model: MODEL, prompt: 'long', options: { num_predict: 400 } });
  await eventually(async () => (await simStats(sim)).active === 1);
  later.abort();
  await assert.rejects(pending, { name: 'AbortError' });
  await eventually(async () => (await simStats(sim)).cancelled === before + 2);
  assert.equal((await simStats(sim)).active, 0);
});

test('leaving a for-await early cancels the generation too', async () => {
  const before = (await simStats(sim)).cancelled;
  const stream = await client.generate({ model: MODEL, prompt: 'long', stream: true, options: { num_predict: 400 } });
  let parts = 0;
  for await (const part of stream) {
    void part;
    if (++parts === 2) break;
  }
  await eventually(async () => (await simStats(sim)).cancelled === before + 1);
});

test("the stream's abort() and client.abort() cancel like the official ones", async () => {
  const before = (await simStats(sim)).cancelled;
  for (const stop of [(stream) => stream.abort(), () => client.abort()]) {
    const stream = await client.generate({ model: MODEL, prompt: 'long', stream: true, options: { num_predict: 400 } });
    await assert.rejects(async () => {
      for await (const part of stream) {
        void part;
        stop(stream);
      }
    }, { name: 'AbortError' });
  }
  await eventually(async () => (await simStats(sim)).cancelled === before + 2);
});

test('a stream that breaks before its first chunk is retried, unseen by the caller', async () => {
  const retries = [];
  const watched = new CorralClient({ hosts: client.endpoints()[0].url, hooks: { onRetry: (e) => retries.push(e) } });
  await simFault(sim, { close_after_chunks: 0, requests: 1 });
  try {
    const stream = await watched.generate({ model: MODEL, prompt: 'x', stream: true, options: { num_predict: 3 } });
    const parts = [];
    for await (const part of stream) parts.push(part);
    assert.equal(parts.length, 4);
    assert.equal(parts.at(-1).done, true);
    assert.equal(retries.length, 1);
    assert.equal(retries[0].error.status, 502, retries[0].error.message);
  } finally {
    await simFault(sim, null);
  }
});

test('a worker dying mid-stream is a StreamError, never a clean end', async () => {
  await simFault(sim, { close_after_chunks: 3 });
  try {
    const parts = [];
    const stream = await client.withOptions({ requestId: 'mid-stream-1' })
      .generate({ model: MODEL, prompt: 'x', stream: true, options: { num_predict: 50 } });
    await assert.rejects(async () => {
      for await (const part of stream) parts.push(part);
    }, (e) => {
      assert.ok(e instanceof StreamError, `${e.name}: ${e.message}`);
      assert.equal(e.requestId, 'mid-stream-1');
      assert.equal(e.serverError, 'upstream connection lost');
      assert.equal(e.chunksDelivered, parts.length);
      return true;
    });
    assert.ok(parts.length >= 1 && parts.length <= 3, `${parts.length} parts before the cut`);
    assert.ok(parts.every((p) => p.done === false));
  } finally {
    await simFault(sim, null);
  }
});

test('errors carry the status, the message and the echoed request id, and 4xx is not retried', async () => {
  const requests = (await simStats(sim)).requests;
  await assert.rejects(client.withOptions({ requestId: 'missing-model-1' }).generate({ model: 'nope:1b', prompt: 'x' }), (e) => {
    assert.ok(e instanceof HttpStatusError);
    assert.equal(e.status_code, 404);
    assert.match(e.error, /not found/);
    assert.equal(e.requestId, 'missing-model-1');
    assert.equal(e.attempts, 1);
    return true;
  });
  assert.equal((await simStats(sim)).requests, requests + 1);
});
