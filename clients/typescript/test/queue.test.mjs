// Corral's queue as the client meets it: a gateway with one slot and a one-place queue answers a burst
// with 503 "queue is full" and a Retry-After. The client must retry until every call is served, and the
// server side (a recording proxy in front of the gateway) must see each retry no sooner than asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CorralClient, DeadlineExceededError, HttpStatusError } from '../dist/index.js';
import { MODEL, eventually, killAll, simStats, startGateway, startSim, startTap } from './support.mjs';

let sim;
let gateway;
let tap;

before(async () => {
  sim = await startSim({ tokensPerSecond: 200 });
  gateway = await startGateway(`listen: 127.0.0.1:0
threads: 1
pools:
  - name: default
    backends:
      - url: http://${sim.address}
        max_inflight: 1
queue:
  max_length: 1
  timeout: 5s
`);
  // Corral quotes Retry-After from its measured drain rate, which starts at zero: a few quick grants
  // first, so that it quotes seconds rather than its cold-start guess.
  const warm = new CorralClient({ hosts: `http://${gateway.address}` });
  for (let i = 0; i < 40; i++) await warm.generate({ model: MODEL, prompt: 'warm', options: { num_predict: 1 } });
  tap = await startTap(gateway.address);
});

after(async () => {
  await tap?.close();
  killAll();
});

// Five calls at once (0.5 s of generation each) for one slot and one queue place.
async function burst(label) {
  const retries = [];
  const client = new CorralClient({ hosts: `http://${tap.address}`, retry: { maxAttempts: 20, deadlineMs: 50_000 },
                                    hooks: { onRetry: (e) => retries.push(e) } });
  const ids = [0, 1, 2, 3, 4].map((i) => `${label}-${i}`);
  const results = await Promise.all(ids.map((requestId) =>
    client.withOptions({ requestId }).generate({ model: MODEL, prompt: 'burst', options: { num_predict: 100 } })));
  return { client, retries, ids, results, seen: (id) => tap.log.filter((e) => e.requestId === id) };
}

test('a burst over a full queue is retried until every call is served', async () => {
  const { client, retries, ids, results, seen } = await burst('served');
  assert.ok(results.every((r) => r.done === true && r.eval_count === 100));
  assert.ok(retries.length >= 2, `${retries.length} retries: at most two calls fit the slot and the queue`);
  for (const r of retries) {
    assert.ok(r.error instanceof HttpStatusError && r.error.status === 503, r.error.message);
    assert.match(r.error.message, /queue is full/);
  }
  for (const id of ids) assert.equal(seen(id).at(-1).status, 200, id);
  assert.deepEqual(client.endpoints().map((e) => e.state), ['closed'], 'a busy gateway is not a broken one');
});

test('Retry-After is honoured: attempts as counted, spaced as the server asked', async () => {
  const { retries, ids, seen } = await burst('spacing');
  let spaced = 0;
  for (const id of ids) {
    const attempts = seen(id);
    assert.equal(attempts.length, 1 + retries.filter((r) => r.requestId === id).length, `attempts of ${id}`);
    for (let i = 1; i < attempts.length; i++) {
      const refused = attempts[i - 1];
      assert.equal(refused.status, 503);
      assert.ok(refused.retryAfter >= 1, `Retry-After ${refused.retryAfter}`);
      const gapMs = attempts[i].at - refused.answeredAt;
      // A lower bound only: a loaded machine makes gaps longer, never shorter. 5 ms covers timer rounding.
      assert.ok(gapMs >= refused.retryAfter * 1000 - 5, `${id}: retried ${gapMs.toFixed(0)} ms after Retry-After ${refused.retryAfter}`);
      spaced += 1;
    }
  }
  assert.ok(spaced >= 2, `${spaced} retries observed`);
});

test('a deadline passing in the queue takes the request out of it: the worker never sees it', async () => {
  const client = new CorralClient({ hosts: `http://${gateway.address}` });
  const before = (await simStats(sim)).requests;
  const running = client.generate({ model: MODEL, prompt: 'long', options: { num_predict: 600 } });
  await eventually(async () => (await simStats(sim)).active === 1);
  await assert.rejects(client.withOptions({ deadlineMs: 300 }).generate({ model: MODEL, prompt: 'queued', options: { num_predict: 5 } }),
                       (e) => e instanceof DeadlineExceededError && e.attempts === 1);
  const after = await client.generate({ model: MODEL, prompt: 'after', options: { num_predict: 5 } });
  assert.equal((await running).eval_count, 600);
  assert.equal(after.eval_count, 5);
  // Had the abandoned request stayed queued, the gateway would have run it before `after`.
  assert.equal((await simStats(sim)).requests, before + 2);
});
