// The official `ollama` and `openai` npm clients as callers through `corral serve` in front of two
// `corral sim` workers: streaming and not, listings, errors in each client's own shape, a stream cut
// mid-way that each client must see as an error (never as a clean end), and a pull fanned out to both
// workers that the client reads to its one merged `success`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';

const BINARY = process.env.CORRAL_BINARY ?? fileURLToPath(new URL('../../build/corral', import.meta.url));
const children = [];

// Starts `corral ARGS...` and resolves with its first stdout line (the bound HOST:PORT).
function start(args) {
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`corral ${args[0]} exited with ${code}`)));
  });
}

let sims = [];
let gateway;
let ollama;
let openai;

before(async () => {
  const simArgs = ['sim', '--listen', '127.0.0.1:0', '--model', 'llama3:8b=1GB', '--model', 'qwen2:0.5b=400MB',
                   '--load-gbps', '1000', '--tokens-per-second', '200'];
  sims = await Promise.all([start(simArgs), start(simArgs)]);
  gateway = await start(['serve', '--listen', '127.0.0.1:0', '--threads', '2',
                         ...sims.flatMap((s) => ['--backend', `http://${s}`])]);
  ollama = new Ollama({ host: `http://${gateway}` });
  openai = new OpenAI({ baseURL: `http://${gateway}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

test('ollama: generate, not streamed', async () => {
  const r = await ollama.generate({ model: 'llama3:8b', prompt: 'hello', options: { num_predict: 5 } });
  assert.equal(r.done, true);
  assert.equal(r.model, 'llama3:8b');
  assert.ok(r.response.length > 0);
});

test('ollama: chat, streamed part by part', async () => {
  const stream = await ollama.chat({ model: 'qwen2:0.5b', messages: [{ role: 'user', content: 'hi' }], stream: true,
                                     options: { num_predict: 8 } });
  const parts = [];
  for await (const part of stream) parts.push(part);
  assert.ok(parts.length >= 8, `got ${parts.length} parts`);
  assert.equal(parts.at(-1).done, true);
  assert.ok(parts.slice(0, -1).every((p) => p.done === false));
});

test('ollama: list and ps are fleet-wide', async () => {
  const list = await ollama.list();
  assert.deepEqual(list.models.map((m) => m.name).sort(), ['llama3:8b', 'qwen2:0.5b']);
  const ps = await ollama.ps();
  assert.ok(Array.isArray(ps.models));
  const version = await ollama.version();
  assert.equal(typeof version.version, 'string');
});

test('ollama: errors keep their status and text', async () => {
  await assert.rejects(ollama.generate({ model: 'nope:1b', prompt: 'x' }), (e) => {
    assert.equal(e.status_code, 404);
    assert.match(e.error, /not found/);
    return true;
  });
});

// A gateway with its admin listener (management calls are open there only) over two fresh sims of its
// own (a pull changes what they list); resolves with the sims and an ollama client on that listener.
async function adminFleet() {
  const simArgs = ['sim', '--listen', '127.0.0.1:0', '--model', 'llama3:8b=1GB', '--load-gbps', '1000'];
  const sims = await Promise.all([start(simArgs), start(simArgs)]);
  const config = join(mkdtempSync(join(tmpdir(), 'corral-npm-')), 'corral.yaml');
  writeFileSync(config, ['listen: 127.0.0.1:0', 'admin:', '  listen: 127.0.0.2:0', 'pools:', '  - name: gpu',
                         '    backends:', ...sims.map((s) => `      - url: http://${s}`), ''].join('\n'));
  const child = spawn(BINARY, ['serve', '-c', config], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  const admin = await new Promise((resolve, reject) => {
    lines.on('line', (line) => { if (line.startsWith('admin ')) resolve(line.slice(6).trim()); });
    child.once('exit', (code) => reject(new Error(`corral serve exited with ${code}`)));
  });
  const client = new Ollama({ host: `http://${admin}` });
  for (;;) {  // ready once the first model poll is in (wait on the gateway, not on a clock)
    const r = await fetch(`http://${admin}/readyz`).catch(() => null);
    if (r?.status === 200) return { sims, ollama: client };
  }
}

test('ollama: a pull reaches both workers, each progress part tagged, one success at the end', async () => {
  const { sims, ollama } = await adminFleet();
  const stream = await ollama.pull({ model: 'phi3:mini', stream: true });
  const parts = [];
  for await (const part of stream) parts.push(part);
  assert.equal(parts.at(-1).status, 'success');
  const finished = parts.filter((p) => p.status === 'finished').map((p) => p.backend).sort();
  assert.deepEqual(finished, [...sims].sort());
  assert.ok(parts.slice(0, -1).every((p) => sims.includes(p.backend)));
  const quiet = await ollama.pull({ model: 'phi3:medium' });
  assert.equal(quiet.status, 'success');
  const list = await ollama.list();
  assert.ok(list.models.some((m) => m.name === 'phi3:mini'));
});

test('openai: chat completion, not streamed and streamed', async () => {
  const r = await openai.chat.completions.create({ model: 'llama3:8b', messages: [{ role: 'user', content: 'hi' }],
                                                   max_tokens: 5 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');

  const stream = await openai.chat.completions.create({ model: 'llama3:8b', stream: true, max_tokens: 6,
                                                        messages: [{ role: 'user', content: 'hi' }] });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 2, `got ${chunks.length} chunks`);
  assert.ok(chunks.some((c) => c.choices[0]?.finish_reason));
});

test('openai: models list and an error in the OpenAI shape', async () => {
  const models = await openai.models.list();
  assert.deepEqual(models.data.map((m) => m.id).sort(), ['llama3:8b', 'qwen2:0.5b']);
  await assert.rejects(openai.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] }), (e) => {
    assert.equal(e.status, 400);
    return true;
  });
});

test('a worker dying mid-stream is an error for both clients, never a clean end', async () => {
  for (const sim of sims) {
    await fetch(`http://${sim}/sim/fault`, { method: 'POST', body: JSON.stringify({ close_after_chunks: 2 }) });
  }
  try {
    await assert.rejects(async () => {
      const stream = await ollama.generate({ model: 'llama3:8b', prompt: 'x', stream: true, options: { num_predict: 50 } });
      for await (const part of stream) void part;
    });
    await assert.rejects(async () => {
      const stream = await openai.chat.completions.create({ model: 'llama3:8b', stream: true, max_tokens: 50,
                                                            messages: [{ role: 'user', content: 'hi' }] });
      for await (const chunk of stream) void chunk;
    });
  } finally {
    for (const sim of sims) await fetch(`http://${sim}/sim/fault`, { method: 'DELETE' });
  }
});
