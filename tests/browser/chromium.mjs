// Headless Chromium for the browser tests: a throw-away profile per run, flags that keep it off the
// network, and a timeout that only stops a hung browser (nothing asserts on time).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const noChromium = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (Debian package 'chromium')`;

/// Runs Chromium with `args` after the common flags; resolves with its stdout (e.g. --dump-dom).
export function chromium(args) {
  const profile = mkdtempSync(join(tmpdir(), "corral-chromium-"));
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", `--user-data-dir=${profile}`, ...args];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, flags, { timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
