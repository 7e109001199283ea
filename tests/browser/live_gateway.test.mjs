// The status page served by a REAL gateway in front of two `corral sim` workers, loaded by headless
// Chromium: the DOM shows both workers, no model before any request, the model a request loaded after
// it, and a worker marked unhealthy once its process is gone. Nothing asserts on time: each step waits
// for a state (readiness, the status JSON) and Chromium's virtual time runs the page's polling.
// Also writes tests/browser/out/status-page-live.png for a developer to look at.
// Run: node --test tests/browser/   (needs /usr/bin/chromium and a built corral: $CORRAL_BINARY,
// else build/corral or build-dev/corral; skipped with a message without them)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium, noChromium } from "./chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const CORRAL = [process.env.CORRAL_BINARY, join(root, "build/corral"), join(root, "build-dev/corral")]
  .find((p) => p && existsSync(p));

const skip = noChromium ? noChromium
  : !CORRAL ? "no corral binary (build first or set CORRAL_BINARY)" : false;

// Starts `corral ARGS`; resolves with the child and its first `lines` stdout lines.
function start(args, lines = 1) {
  return new Promise((resolve, reject) => {
    const child = spawn(CORRAL, args, { stdio: ["ignore", "pipe", "ignore"] });
    let buf = "";
    const got = [];
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`corral ${args[0]} exited (${code}) before printing its address`)));
    child.stdout.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0 && got.length < lines) {
        got.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      if (got.length === lines) {
        child.removeAllListeners("exit");
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({ child, lines: got });
      }
    });
  });
}

// Polls `check` until it returns true; the deadline only fails a hung test.
async function until(check, what) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


test("a real gateway's status page shows its workers, a loaded model and a down worker", { skip }, async () => {
  const children = [];
  const dir = mkdtempSync(join(tmpdir(), "corral-live-"));
  try {
    const sim = (name) => start(["sim", "--listen", "127.0.0.1:0", "--load-gbps", "1000", "--tokens-per-second",
      "200", "--model", "llama3:8b=1GB"]).then((s) => { children.push(s.child); return { name, ...s }; });
    const a = await sim("gpu-a");
    const b = await sim("gpu-b");
    const config = join(dir, "corral.yaml");
    writeFileSync(config, [
      "listen: 127.0.0.1:0", "threads: 2", "admin:", "  listen: 127.0.0.2:0",
      "access_log:", "  level: off",
      "health:", "  interval: 100ms", "  timeout: 500ms", "  fall: 1", "  rise: 1",
      "pools:", "  - name: gpus", "    policy: round_robin", "    backends:",
      `      - url: http://${a.lines[0]}`, "        name: gpu-a", "        vram: 24GiB",
      `      - url: http://${b.lines[0]}`, "        name: gpu-b", "        vram: 24GiB", ""].join("\n"));
    const gw = await start(["serve", "-c", config], 2);
    children.push(gw.child);
    const main = `http://${gw.lines[0]}`;
    const admin = `http://${gw.lines[1].replace(/^admin /, "")}`;
    await until(async () => (await fetch(`${main}/readyz`)).status === 200, "readiness");

    // Before any request: both workers, no model loaded.
    let dom = await chromium(["--virtual-time-budget=2500", "--dump-dom", `${admin}/`]);
    assert.match(dom, /<tr class="worker" data-worker="gpu-a" data-health="healthy">/);
    assert.match(dom, /<tr class="worker" data-worker="gpu-b" data-health="healthy">/);
    assert.doesNotMatch(dom, /data-model="llama3:8b"/);
    assert.match(dom, /<span id="conn" data-state="ok">live<\/span>/);

    const r = await fetch(`${main}/api/generate`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "llama3:8b", prompt: "hello", stream: false, options: { num_predict: 3 } }) });
    assert.equal(r.status, 200);
    await r.text();

    // gpu-b's process goes away: wait until the gateway says so, then look at the page again.
    b.child.kill("SIGKILL");
    await until(async () => {
      const s = await (await fetch(`${admin}/corral/api/status`)).json();
      return s.workers.find((w) => w.name === "gpu-b").health === "unhealthy";
    }, "gpu-b marked unhealthy");
    dom = await chromium(["--virtual-time-budget=2500", "--dump-dom", `${admin}/`]);
    assert.match(dom, /<div class="model" data-model="llama3:8b">/, "the model the request loaded appears");
    assert.match(dom, /<tr class="worker" data-worker="gpu-b" data-health="unhealthy">/);
    assert.match(dom, /<tr class="pool" data-pool="gpus">/);

    const out = join(here, "out");
    mkdirSync(out, { recursive: true });
    const png = join(out, "status-page-live.png");
    await chromium(["--virtual-time-budget=2500", "--window-size=1280,960", "--hide-scrollbars", `--screenshot=${png}`,
      `${admin}/`]);
    assert.ok(statSync(png).size > 10_000, "a real screenshot, not an empty file");
  } finally {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
