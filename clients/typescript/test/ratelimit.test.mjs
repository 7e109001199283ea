// Corral's per-address rate limiter answers 429 with a Retry-After; the client waits and gets through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorralClient, HttpStatusError } from '../dist/index.js';
import { BINARY, MODEL, killAll, startGateway, startSim } from './support.mjs';

const limited = (sim) => `listen: 127.0.0.1:0
threads: 1
pools:
  - name: default
    backends: [http://${sim}]
rate_limits:
  per_ip: {requests: 2, interval: 2s}
`;

// The limiter's configuration came after this client; say so instead of failing on an older binary.
function unsupported() {
  const file = join(mkdtempSync(join(tmpdir(), 'corral-client-')), 'corral.yaml');
  writeFileSync(file, limited('127.0.0.1:1'));
  const check = spawnSync(BINARY, ['check-config', '-c', file], { encoding: 'utf8' });
  return check.status === 0 ? false : `this corral has no rate_limits: ${check.stderr.trim()}`;
}

after(killAll);

test('429 from the rate limiter is retried after its Retry-After', { skip: unsupported() }, async () => {
  const sim = await startSim();
  const gateway = await startGateway(limited(sim.address));
  const retries = [];
  const client = new CorralClient({ hosts: `http://${gateway.address}`, hooks: { onRetry: (e) => retries.push(e) } });
  for (let i = 0; i < 4; i++) {
    assert.equal((await client.generate({ model: MODEL, prompt: 'x', options: { num_predict: 1 } })).done, true);
  }
  assert.ok(retries.length >= 1, 'two requests per 2 s: the third must have been refused');
  for (const r of retries) {
    assert.ok(r.error instanceof HttpStatusError && r.error.status === 429, r.error.message);
    assert.ok(r.retryAfterMs >= 1000 && r.delayMs >= r.retryAfterMs, `waited ${r.delayMs} ms for Retry-After ${r.retryAfterMs}`);
  }
});
