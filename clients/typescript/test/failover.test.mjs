// Two gateway replicas over the same worker: when one replica dies the calls go on through the other,
// the dead one's circuit opens, and once it is open the client stops trying it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionError, CorralClient } from '../dist/index.js';
import { MODEL, kill, killAll, quickGateway, startSim } from './support.mjs';

after(killAll);

test('a dead replica is failed over to the live one, with no error reaching the caller', async () => {
  const sim = await startSim();
  const replicas = await Promise.all([quickGateway([sim]), quickGateway([sim])]);
  const urls = replicas.map((r) => `http://${r.address}`);
  const retries = [];
  const changes = [];
  const client = new CorralClient({
    hosts: urls,
    breaker: { failureThreshold: 2, cooldownMs: 60_000 },
    hooks: { onRetry: (e) => retries.push(e), onStateChange: (c) => changes.push(c) },
  });
  const ask = () => client.generate({ model: MODEL, prompt: 'x', options: { num_predict: 2 } });
  for (let i = 0; i < 4; i++) assert.equal((await ask()).done, true);
  assert.equal(retries.length, 0);

  await kill(replicas[0]);
  for (let i = 0; i < 8; i++) assert.equal((await ask()).done, true, `call ${i} after the kill`);

  assert.ok(retries.length >= 1 && retries.length <= 2, `${retries.length} retries`);
  for (const r of retries) {
    assert.equal(r.endpoint, urls[0]);
    assert.ok(r.error instanceof ConnectionError && r.error.code === 'ECONNREFUSED', r.error.message);
  }
  assert.deepEqual(changes.map((c) => `${c.endpoint === urls[0] ? 'dead' : 'live'}:${c.from}>${c.to}`), ['dead:closed>open']);
  assert.deepEqual(client.endpoints().map((e) => e.state), ['open', 'closed']);
});
