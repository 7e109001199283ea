// Real processes for the tests: `corral sim` workers and `corral serve` gateways on port 0, plus a
// transparent recording proxy ("tap") that notes when each request reaches the server side, so tests can
// assert on what the server saw (attempt counts, spacing) instead of on the client's clock.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BINARY = process.env.CORRAL_BINARY ?? fileURLToPath(new URL('../../../build/corral', import.meta.url));
export const MODEL = 'llama3:8b';

const children = new Set();

/** Starts `corral ARGS...`; resolves with { child, address } once it printed its bound HOST:PORT. */
export function start(args) {
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, address: line.trim() }));
    child.once('exit', (code, signal) => reject(new Error(`corral ${args.join(' ')} exited (${code ?? signal})`)));
  });
}

export function startSim({ listen = '127.0.0.1:0', tokensPerSecond = 200, extra = [] } = {}) {
  return start(['sim', '--listen', listen, '--model', `${MODEL}=1GB`, '--load-gbps', '1000',
                '--tokens-per-second', String(tokensPerSecond), ...extra]);
}

/** A gateway from a YAML text (fast health checks, one pool of the given workers). */
export function startGateway(yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-client-'));
  const file = join(dir, 'corral.yaml');
  writeFileSync(file, yaml);
  return start(['serve', '-c', file]);
}

export function quickGateway(sims) {
  return start(['serve', '--listen', '127.0.0.1:0', '--threads', '1', ...sims.flatMap((s) => ['--backend', `http://${s.address}`])]);
}

export async function kill(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill('SIGKILL');
  await exited;
}

export function killAll() {
  for (const c of children) c.kill('SIGKILL');
}

export async function simStats(sim) {
  return (await fetch(`http://${sim.address}/sim/stats`)).json();
}

export async function simFault(sim, plan) {
  const r = await fetch(`http://${sim.address}/sim/fault`, plan ? { method: 'POST', body: JSON.stringify(plan) } : { method: 'DELETE' });
  if (!r.ok) throw new Error(`fault plan refused: ${r.status} ${await r.text()}`);
}

/** Polls `check` every 100 ms until it returns a truthy value; fails after `limitMs` (a hang guard, not a timing assertion). */
export async function eventually(check, limitMs = 20_000) {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${limitMs} ms: ${check}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A recording HTTP proxy in front of `target`: every request is forwarded untouched and logged with its
 * arrival time (the server side's clock), its X-Request-ID and the status that came back.
 */
export async function startTap(target) {
  const log = [];
  const server = http.createServer((req, res) => {
    const entry = { at: performance.now(), path: req.url, requestId: req.headers['x-request-id'], status: 0,
                    answeredAt: 0, retryAfter: undefined };
    log.push(entry);
    const upstream = http.request({ host: target.split(':')[0], port: target.split(':')[1], method: req.method,
                                    path: req.url, headers: req.headers }, (answer) => {
      entry.status = answer.statusCode;
      entry.answeredAt = performance.now();
      entry.retryAfter = answer.headers['retry-after'] === undefined ? undefined : Number(answer.headers['retry-after']);
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { address: `127.0.0.1:${port}`, log, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}
