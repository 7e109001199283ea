// The official `ollama` and `openai` npm clients pointed straight at one `corral sim`: if the sim's wire
// format drifted from Ollama's, these clients (which real users run) would fail to parse or would return
// different shapes. Each test asserts on what the client hands back, not on raw bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Ollama } from 'ollama';
import OpenAI from 'openai';

const BINARY = process.env.CORRAL_BINARY ?? fileURLToPath(new URL('../../build/corral', import.meta.url));
let child;
let sim;
let ollama;
let openai;

before(async () => {
  child = spawn(BINARY, ['sim', '--listen', '127.0.0.1:0', '--model', 'llama3:8b=1GB', '--model', 'qwen2:0.5b=400MB',
                         '--model', 'nomic-embed-text=300MB', '--load-gbps', '1000', '--tokens-per-second', '500',
                         '--seed', '3'],
                { stdio: ['ignore', 'pipe', 'inherit'] });
  sim = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`corral sim exited with ${code}`)));
  });
  ollama = new Ollama({ host: `http://${sim}` });
  openai = new OpenAI({ baseURL: `http://${sim}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(() => child?.kill('SIGKILL'));

const stats = async () => (await fetch(`http://${sim}/sim/stats`)).json();

test('ollama: chat streamed, one message part per chunk, then the final stats object', async () => {
  const stream = await ollama.chat({ model: 'llama3:8b', messages: [{ role: 'user', content: 'hello' }], stream: true,
                                     options: { num_predict: 7 } });
  const parts = [];
  for await (const part of stream) parts.push(part);
  assert.equal(parts.length, 8);
  for (const p of parts.slice(0, -1)) {
    assert.equal(p.done, false);
    assert.equal(p.model, 'llama3:8b');
    assert.equal(p.message.role, 'assistant');
    assert.ok(p.message.content.length > 0);
  }
  const last = parts.at(-1);
  assert.equal(last.done, true);
  assert.equal(last.done_reason, 'length');
  assert.equal(last.eval_count, 7);
  assert.ok(last.prompt_eval_count > 0);
  for (const k of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) {
    assert.equal(typeof last[k], 'number', k);
  }
});

test('ollama: generate, not streamed, is deterministic and carries the context', async () => {
  const req = { model: 'qwen2:0.5b', prompt: 'why is the sky blue?', options: { num_predict: 5 } };
  const a = await ollama.generate(req);
  const b = await ollama.generate(req);
  assert.equal(a.done, true);
  assert.equal(a.model, 'qwen2:0.5b');
  assert.equal(a.eval_count, 5);
  assert.ok(a.response.length > 0);
  assert.equal(a.response, b.response);
  assert.equal(a.context.length, a.prompt_eval_count + a.eval_count);
});

test('ollama: embed one and several inputs', async () => {
  const one = await ollama.embed({ model: 'nomic-embed-text', input: 'hello' });
  assert.equal(one.model, 'nomic-embed-text');
  assert.equal(one.embeddings.length, 1);
  assert.ok(one.embeddings[0].length > 0);
  const two = await ollama.embed({ model: 'nomic-embed-text', input: ['a', 'b'] });
  assert.equal(two.embeddings.length, 2);
  assert.equal(two.embeddings[0].length, one.embeddings[0].length);
  assert.notDeepEqual(two.embeddings[0], two.embeddings[1]);
});

test('ollama: list shows the models on disk, ps the loaded ones', async () => {
  const list = await ollama.list();
  assert.deepEqual(list.models.map((m) => m.name).sort(), ['llama3:8b', 'nomic-embed-text:latest', 'qwen2:0.5b']);
  const llama = list.models.find((m) => m.name === 'llama3:8b');
  assert.equal(llama.size, 1e9);
  assert.ok(llama.digest.length > 0);

  await ollama.generate({ model: 'llama3:8b', prompt: 'x', options: { num_predict: 1 } });
  const ps = await ollama.ps();
  const loaded = ps.models.find((m) => m.name === 'llama3:8b');
  assert.ok(loaded, JSON.stringify(ps));
  assert.equal(loaded.size, 1e9);
  assert.equal(loaded.size_vram, 1e9);
  assert.ok(loaded.expires_at instanceof Date || typeof loaded.expires_at === 'string');
  assert.ok(new Date(loaded.expires_at).getTime() > Date.now());
});

test('ollama: pull reports progress, then success, and the model appears in the list', async () => {
  const stream = await ollama.pull({ model: 'phi3:mini', stream: true });
  const parts = [];
  for await (const part of stream) parts.push(part);
  assert.equal(parts[0].status, 'pulling manifest');
  const progress = parts.filter((p) => p.digest);
  assert.ok(progress.length >= 2, JSON.stringify(parts));
  assert.ok(progress.every((p) => p.total > 0));
  assert.equal(progress.at(-1).completed, progress.at(-1).total);
  assert.equal(parts.at(-1).status, 'success');
  const list = await ollama.list();
  assert.ok(list.models.some((m) => m.name === 'phi3:mini'), JSON.stringify(list.models.map((m) => m.name)));
});

test('ollama: an unknown model is a 404 error in the client', async () => {
  await assert.rejects(ollama.chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] }), (e) => {
    assert.equal(e.status_code, 404);
    assert.match(e.error, /not found/);
    return true;
  });
});

test('openai: chat completion, not streamed', async () => {
  const r = await openai.chat.completions.create({ model: 'llama3:8b', max_tokens: 4,
                                                   messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'llama3:8b');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 4);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 4);
});

test('openai: chat completion streamed, with usage when asked', async () => {
  const stream = await openai.chat.completions.create({ model: 'llama3:8b', stream: true, max_tokens: 6,
                                                        stream_options: { include_usage: true },
                                                        messages: [{ role: 'user', content: 'hi' }] });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  const text = chunks.flatMap((c) => c.choices).map((ch) => ch.delta?.content ?? '').join('');
  assert.ok(text.length > 0);
  const finishes = chunks.flatMap((c) => c.choices).filter((ch) => ch.finish_reason);
  assert.equal(finishes.length, 1);
  assert.equal(finishes[0].finish_reason, 'length');
  const usage = chunks.at(-1).usage;
  assert.ok(usage, JSON.stringify(chunks.at(-1)));
  assert.equal(usage.completion_tokens, 6);
  // Streamed text is the non-streamed text for the same seed and prompt.
  const whole = await openai.chat.completions.create({ model: 'llama3:8b', max_tokens: 6,
                                                       messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(text, whole.choices[0].message.content);
});

test('openai: embeddings', async () => {
  const r = await openai.embeddings.create({ model: 'nomic-embed-text', input: ['one', 'two', 'three'] });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 3);
  assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2]);
  assert.ok(r.data.every((d) => d.object === 'embedding' && d.embedding.length > 0));
});

test('openai: models list and one model', async () => {
  const page = await openai.models.list();
  const ids = page.data.map((m) => m.id);
  for (const id of ['llama3:8b', 'qwen2:0.5b', 'nomic-embed-text:latest']) assert.ok(ids.includes(id), id);
  assert.ok(page.data.every((m) => m.object === 'model' && m.owned_by));
  const one = await openai.models.retrieve('qwen2:0.5b');
  assert.equal(one.id, 'qwen2:0.5b');
});

test('the sim counted every call above per model and kept the three models loaded', async () => {
  const s = await stats();
  // llama3: chat, the ps warm-up, three openai chats; qwen2: two generates; embed: two + one openai call.
  assert.deepEqual(s.requests_by_model, { 'llama3:8b': 5, 'nomic-embed-text:latest': 3, 'qwen2:0.5b': 2 });
  assert.deepEqual(s.loaded, ['llama3:8b', 'nomic-embed-text:latest', 'qwen2:0.5b']);
  assert.equal(s.loads, 3);
  assert.equal(s.active, 0);
  assert.equal(s.cancelled, 0);
  assert.equal(s.rejected_busy, 0);
});
