// The circuit against a gateway whose only worker is killed and later comes back on the same port:
// it opens after the configured failures, fails fast without a request reaching the gateway, and closes
// through a half-open probe once the gateway can serve again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitOpenError, CorralClient, HttpStatusError } from '../dist/index.js';
import { MODEL, kill, killAll, startGateway, startSim, startTap } from './support.mjs';

let tap;
after(async () => {
  await tap?.close();
  killAll();
});

test('the circuit opens on a killed worker pool and closes after it returns', async () => {
  const sim = await startSim();
  const gateway = await startGateway(`listen: 127.0.0.1:0
threads: 1
pools:
  - name: default
    backends: [http://${sim.address}]
health: {interval: 100ms, timeout: 1s, fall: 1, rise: 1}
`);
  tap = await startTap(gateway.address);
  const changes = [];
  const client = new CorralClient({
    hosts: `http://${tap.address}`,
    retry: { maxAttempts: 1 },
    breaker: { failureThreshold: 3, cooldownMs: 200 },
    hooks: { onStateChange: (c) => changes.push(`${c.from}>${c.to}`) },
  });
  const ask = () => client.generate({ model: MODEL, prompt: 'x', options: { num_predict: 2 } });
  assert.equal((await ask()).done, true);

  await kill(sim);
  const failures = [];
  for (let i = 0; i < 10 && client.endpoints()[0].state === 'closed'; i++) {
    await assert.rejects(ask(), (e) => failures.push(e) > 0);
  }
  assert.deepEqual(changes, ['closed>open']);
  assert.equal(failures.length, 3);
  for (const e of failures) assert.ok(e instanceof HttpStatusError && [502, 503].includes(e.status), e.message);

  const seen = tap.log.length;
  await assert.rejects(ask(), (e) => e instanceof CircuitOpenError && e.retryAfterMs > 0);
  assert.equal(tap.log.length, seen, 'an open circuit sends nothing');

  await startSim({ listen: sim.address });
  let served;
  for (let i = 0; i < 200 && !served; i++) {
    served = await ask().catch(() => new Promise((r) => setTimeout(r, 100)));
  }
  assert.equal(served?.done, true);
  assert.equal(client.endpoints()[0].state, 'closed');
  assert.equal(changes[1], 'open>half-open');
  assert.equal(changes.at(-1), 'half-open>closed');
  for (let i = 1; i < changes.length; i++) assert.equal(changes[i].split('>')[0], changes[i - 1].split('>')[1], changes.join());
});
