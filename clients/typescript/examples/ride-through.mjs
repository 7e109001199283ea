// An application that keeps asking while its fleet misbehaves: first a burst that overflows Corral's
// queue (503 + Retry-After), then its only worker is killed and comes back two seconds later (502, then
// 503 "no healthy backend"). The client's hooks log what it rode through; the application itself only
// counts answers and errors. Run: npm run build && CORRAL_BINARY=../../build/corral node examples/ride-through.mjs
import { CorralClient } from 'corral-client';
import { MODEL, kill, killAll, startGateway, startSim } from '../test/support.mjs';

const t0 = performance.now();
const log = (line) => console.log(`${((performance.now() - t0) / 1000).toFixed(2).padStart(6)}s  ${line}`);

let sim = await startSim({ tokensPerSecond: 200 });
const gateway = await startGateway(`listen: 127.0.0.1:0
threads: 1
pools:
  - name: default
    backends:
      - url: http://${sim.address}
        max_inflight: 2
queue: {max_length: 2, timeout: 5s}
health: {interval: 200ms, timeout: 1s, fall: 1, rise: 1}
`);
log(`gateway ${gateway.address} in front of one worker ${sim.address} (2 slots, a queue of 2)`);

const ollama = new CorralClient({
  hosts: `http://${gateway.address}`,
  retry: { maxAttempts: 8 },
  breaker: { failureThreshold: 10 },
  hooks: {
    onRetry: (e) => log(`  client: ${e.requestId.slice(0, 8)} attempt ${e.attempt} got "${e.error.message}"` +
                        `${e.retryAfterMs ? ` (Retry-After ${e.retryAfterMs / 1000}s)` : ''}, retrying in ${e.delayMs} ms`),
    onStateChange: (c) => log(`  client: circuit ${c.from} -> ${c.to} (${c.reason})`),
  },
});

let answers = 0;
let errors = 0;
async function ask(user, tokens) {
  try {
    const r = await ollama.generate({ model: MODEL, prompt: `question from ${user}`, options: { num_predict: tokens } });
    answers += 1;
    log(`app: ${user} got ${r.eval_count} tokens`);
  } catch (e) {
    errors += 1;
    log(`app: ERROR for ${user}: ${e.name}: ${e.message}`);
  }
}

// Ordinary traffic first: Corral quotes Retry-After from the drain rate it has measured.
for (let i = 0; i < 30; i++) await ollama.generate({ model: MODEL, prompt: 'warm-up', options: { num_predict: 1 } });
log('--- a burst of 10 calls for 2 slots and 2 queue places');
await Promise.all(Array.from({ length: 10 }, (_, i) => ask(`burst-${i}`, 80)));

log('--- the only worker is killed; it comes back 2 s later');
const users = ['alice', 'bob', 'carol'].map(async (user) => {
  for (let i = 0; i < 4; i++) {
    await ask(`${user}#${i}`, 40);
    await new Promise((r) => setTimeout(r, 300));
  }
});
await new Promise((r) => setTimeout(r, 500));
await kill(sim);
log(`worker killed (SIGKILL)`);
await new Promise((r) => setTimeout(r, 2000));
sim = await startSim({ listen: sim.address, tokensPerSecond: 200 });
log(`worker restarted on ${sim.address}`);
await Promise.all(users);

log(`--- done: ${answers} answers, ${errors} errors reached the application`);
killAll();
process.exitCode = errors === 0 ? 0 : 1;
