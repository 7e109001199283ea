// The status page in a real browser: headless Chromium loads src/admin/status_page.html.inc
// (the raw-string wrapper stripped) from a tiny local server whose /corral/api/status answers
// change between polls, and the test asserts on the DOM Chromium dumps. Chromium's virtual time
// (--virtual-time-budget) runs the page's 1 s polling loop without the test sleeping.
// Also writes tests/browser/out/status-page.png for a developer to look at.
// Run: node --test tests/browser/   (needs /usr/bin/chromium; skipped with a message without it)
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync, mkdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium, noChromium } from "./chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

export function pageFromInc(text) {
  const start = text.indexOf('R"HTML(');
  const end = text.lastIndexOf(')HTML"');
  assert.ok(start >= 0 && end > start, "status_page.html.inc must hold one R\"HTML(...)HTML\" literal");
  return text.slice(start + 'R"HTML('.length, end);
}
const PAGE = pageFromInc(readFileSync(join(root, "src/admin/status_page.html.inc"), "utf8"));

const worker = (name, models, extra = {}) => ({
  name, url: `http://10.0.1.${name.length}:11434`, pool: "default", health: "healthy", in_flight: 1,
  max_inflight: 8, queued: 0, vram_total_bytes: 24e9, vram_used_bytes: 6e9, models, ...extra,
});
const points = Array.from({ length: 30 }, (_, i) => ({
  age_s: 300 - i * 10, requests_per_s: 5 + (i % 7), requests: 50 + i, errors: i % 5 === 0 ? 1 : 0,
  ttft_p50_s: 0.08 + (i % 3) * 0.01, ttft_p95_s: 0.2 + (i % 4) * 0.05,
}));
const base = {
  version: "0.1.0", time_unix_ms: Date.now(), uptime_s: 3600,
  pools: [{ name: "default", workers: 2, recommended_workers: 3, in_flight: 3, queued: 4, queue_max: 256 }],
  totals: { in_flight: 3, queued: 4, requests: 1500, errors: 6 },
  window: { bucket_seconds: 10, requests_per_s: 7.5, requests: 1500, errors: 6, ttft_p50_s: 0.09, ttft_p95_s: 0.31, points },
  recent_errors: [{ time_unix_ms: Date.now(), status: 503, kind: "queue_full", model: "llama3:8b", backend: "", message: "pool default queue full" }],
};
// First answers: gpu-2 has nothing loaded; from the third poll on it holds qwen2:7b.
function statusFor(poll) {
  const later = poll >= 3;
  return {
    ...base,
    workers: [
      worker("gpu-1", [{ name: "llama3:8b", vram_bytes: 4.9e9, in_flight: 1 }]),
      worker("gpu-2", later ? [{ name: "qwen2:7b", vram_bytes: 5.5e9 }] : [], { health: later ? "healthy" : "unhealthy", vram_used_bytes: later ? 22.5e9 : 0.4e9 }),
    ],
    // Until the third poll qwen2:7b is still loading on gpu-2 (a cold start the page must show); then
    // llama3:70b starts loading on gpu-1.
    loading: later
      ? [{ pool: "default", backend: "gpu-1", model: "llama3:70b", loading_s: 2.5, expected_remaining_s: 17.5 }]
      : [{ pool: "default", backend: "gpu-2", model: "qwen2:7b", loading_s: 4.2, expected_remaining_s: 11.8 }],
  };
}

async function serve(handler) {
  const server = createServer(handler);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}


const skip = noChromium;

function pageHandler(statusHandler) {
  return (req, res) => {
    if (req.url === "/" || req.url === "/corral/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PAGE);
    } else if (req.url.startsWith("/corral/api/status")) {
      statusHandler(req, res);
    } else {
      res.writeHead(404).end();
    }
  };
}

test("the page is self-contained: no external scripts, styles or fonts", () => {
  assert.doesNotMatch(PAGE, /<script[^>]+src=/i);
  assert.doesNotMatch(PAGE, /<link[^>]+href=/i);
  assert.doesNotMatch(PAGE, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.doesNotMatch(PAGE, /\)HTML"/, "the raw-string terminator must not appear inside the page");
});

test("renders workers, then a model that gets loaded while it polls", { skip }, async () => {
  let polls = 0;
  const { server, url } = await serve(pageHandler((req, res) => {
    polls += 1;
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(statusFor(polls)));
  }));
  try {
    const dom = await chromium(["--virtual-time-budget=6000", "--dump-dom", url]);
    assert.ok(polls >= 3, `expected the page to poll at least 3 times, it polled ${polls}`);
    assert.match(dom, /<tr class="worker" data-worker="gpu-1" data-health="healthy">/);
    assert.match(dom, /<tr class="worker" data-worker="gpu-2" data-health="healthy">/, "gpu-2 turned healthy");
    assert.match(dom, /<div class="model" data-model="llama3:8b">/);
    assert.match(dom, /<div class="model" data-model="qwen2:7b">/, "the model loaded after the first polls appears");
    assert.doesNotMatch(dom, /<tr class="load" data-model="qwen2:7b"/, "the finished load left the cold-loads table");
    assert.match(dom, /<tr class="load" data-model="llama3:70b" data-worker="gpu-1">/, "the new one is listed");
    assert.match(dom, /<tr class="pool" data-pool="default">/);
    assert.match(dom, /<span id="conn" data-state="ok">live<\/span>/);
    assert.match(dom, /<div class="value" id="queued">4<\/div>/);
    assert.match(dom, /<div class="value" id="ttft-p95">310 ms<\/div>/);
    assert.match(dom, /<li class="error" data-status="503">/);
    assert.match(dom, /<svg id="rps-spark"[^>]*><path d="M0\.00 /, "the req/s sparkline is drawn");
    assert.match(dom, /class="bar worker-vram hot"[^>]*data-pct="94"/, "gpu-2 at 22.5 of 24 GB shows a hot bar");
  } finally {
    server.close();
  }
});

test("the first answer alone shows the unloaded worker with no models, and the cold load under way", { skip }, async () => {
  const { server, url } = await serve(pageHandler((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(statusFor(1)));
  }));
  try {
    const dom = await chromium(["--virtual-time-budget=2500", "--dump-dom", url]);
    assert.match(dom, /<tr class="worker" data-worker="gpu-2" data-health="unhealthy">/);
    assert.doesNotMatch(dom, /<div class="model" data-model="qwen2:7b"/);
    assert.match(dom, /<tr class="load" data-model="qwen2:7b" data-worker="gpu-2">/, "the cold load is listed");
    assert.match(dom, /<td class="num">4\.20 s<\/td><td class="num">11\.80 s<\/td>/, "elapsed and expected remaining");
  } finally {
    server.close();
  }
});

test("missing fields and a failing endpoint do not break the page", { skip }, async () => {
  let polls = 0;
  const { server, url } = await serve(pageHandler((req, res) => {
    polls += 1;
    if (polls === 1) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ workers: [{ name: "bare" }], pools: [{}], window: {} }));
    } else {
      res.writeHead(500).end("boom");
    }
  }));
  try {
    const dom = await chromium(["--virtual-time-budget=2500", "--dump-dom", url]);
    assert.match(dom, /<tr class="worker" data-worker="bare" data-health="unknown">/);
    assert.match(dom, /<span id="conn" data-state="error">disconnected: HTTP 500<\/span>/);
    assert.match(dom, /<div class="value" id="rps">–<\/div>/);
  } finally {
    server.close();
  }
});

test("screenshot for humans: tests/browser/out/status-page.png", { skip }, async () => {
  let polls = 0;
  const { server, url } = await serve(pageHandler((req, res) => {
    polls += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(statusFor(polls + 3)));
  }));
  const out = join(here, "out");
  mkdirSync(out, { recursive: true });
  const png = join(out, "status-page.png");
  try {
    await chromium(["--virtual-time-budget=2500", "--window-size=1280,960", "--hide-scrollbars", `--screenshot=${png}`, url]);
    assert.ok(statSync(png).size > 10_000, "a real screenshot, not an empty file");
  } finally {
    server.close();
  }
});
