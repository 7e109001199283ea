#!/usr/bin/env python3
"""Routing quality: which contender keeps models warm on a multi-model fleet.

One deterministic trace (fixed seed: Zipf popularity over six models, Poisson arrivals plus bursts for
one model at a time) is replayed, open loop, against each contender in front of four fresh `corral sim`
workers whose VRAM holds about two of the models each:

  corral model_aware        Corral's default policy (warm first, VRAM fit, single flight, anti-thrash)
  corral least_connections  Corral balancing like its peers
  haproxy leastconn         seed 000's configuration (bench.py's HAProxy contender)

Every request streams; the client measures its time to first token. Per contender the table reports the
warm-hit ratio (completed requests whose final object says load_duration < 50 ms), the cold loads the sims
did (sum of /sim/stats `loads`, read before and after), p50/p95 time to first token, and completed
requests per second. See bench/README.md ("Routing quality") for how to read it.

Usage: bench/routing_quality.py [--smoke] [--corral build/corral] [--out bench/results]

--smoke replays a few seconds of the trace (what ctest's BenchHarness.RoutingQualitySmoke runs): it proves
the harness starts sims, Corral and HAProxy, drives them and parses the answers. Without haproxy installed
it says so and exits 77 (ctest's "skipped").
"""
import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the contenders, process helpers and limits shared with bench.py)

# name, size: any two fit in VRAM (largest pair 8.9 GB), no three do (smallest three 11.9 GB).
MODELS = [("llama3:8b", "4.5GB"), ("qwen2:7b", "4.4GB"), ("gemma:7b", "4.3GB"),
          ("mistral:7b", "4.1GB"), ("phi3:medium", "4.0GB"), ("codellama:7b", "3.8GB")]
VRAM = "9GB"
LOAD_GBPS = 4           # a load takes about one second
TOKENS_PER_SECOND = 100
NUM_PARALLEL = 4
WORKERS = 4
WARM_LOAD_NS = 50_000_000  # a final load_duration below this is a warm hit
SKIP = 77                  # ctest SKIP_RETURN_CODE


class ModelFleet(bench.Fleet):
    """Four fresh sims with the six models on disk and room for about two in VRAM (none loaded)."""

    def __init__(self, corral):  # noqa: super().__init__ would start bench.py's single-model fleet
        self.procs, self.ports = [], []
        for i in range(WORKERS):
            cmd = [corral, "sim", "--listen", "127.0.0.1:0", "--vram", VRAM, "--load-gbps", str(LOAD_GBPS),
                   "--tokens-per-second", str(TOKENS_PER_SECOND), "--num-parallel", str(NUM_PARALLEL),
                   "--seed", str(i)]
            for name, size in MODELS:
                cmd += ["--model", f"{name}={size}"]
            proc, port = bench.start_reading_first_line(cmd)
            self.procs.append(proc)
            self.ports.append(port)

    def loads(self):
        total = 0
        for port in self.ports:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sim/stats", timeout=5) as r:
                total += json.load(r)["loads"]
        return total


class CorralModels(bench.Contender):
    """Corral with one pool over the fleet, the backends' VRAM and num_parallel configured, and `policy`."""

    def __init__(self, fleet, workdir, binary, policy):
        super().__init__(fleet, 1, workdir)
        self.binary, self.policy = binary, policy
        self.name = f"corral {policy}"

    def start(self):
        backends = "".join(f"      - {{url: 'http://127.0.0.1:{p}', vram: {VRAM}, num_parallel: {NUM_PARALLEL}}}\n"
                           for p in self.fleet.ports)
        cfg = self.workdir / f"corral-{self.policy}.yaml"
        cfg.write_text(f"listen: 127.0.0.1:0\nthreads: 1\npools:\n  - name: fleet\n    policy: {self.policy}\n"
                       f"    backends:\n{backends}default_pool: fleet\nplacement: {{load_rate: {LOAD_GBPS}GB}}\n"
                       "queue: {max_length: 100000, timeout: 300s}\n")
        self.proc, self.port = bench.start_reading_first_line([self.binary, "serve", "-c", str(cfg)])
        bench.wait_port(self.port)
        wait_ready(self.port)


class HAProxyLeastconn(bench.HAProxy):
    name = "haproxy leastconn"

    def __init__(self, fleet, workdir):
        super().__init__(fleet, 1, workdir)


def wait_ready(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"corral on port {port} never became ready")


def make_trace(seed, seconds, rate, bursts, burst_size, zipf_s=1.1):
    """[(send_at_s, model_index, num_predict)], sorted. Poisson arrivals at `rate`/s with Zipf(zipf_s)
    popularity, plus `bursts` bursts of `burst_size` requests for one (Zipf-drawn) model within 0.3 s."""
    rng = random.Random(seed)
    weights = [1 / (k + 1) ** zipf_s for k in range(len(MODELS))]
    trace = []
    t = rng.expovariate(rate)
    while t < seconds:
        trace.append((t, rng.choices(range(len(MODELS)), weights)[0], rng.randint(8, 24)))
        t += rng.expovariate(rate)
    for _ in range(bursts):
        start, model = rng.uniform(0.2 * seconds, 0.9 * seconds), rng.choices(range(len(MODELS)), weights)[0]
        trace += [(start + rng.uniform(0, 0.3), model, rng.randint(8, 24)) for _ in range(burst_size)]
    return sorted(trace)


def cold_start_floor(trace):
    """Requests that arrive while their model's first load (size / LOAD_GBPS) runs: cold under any router."""
    first, cold = {}, 0
    for at, model, _ in trace:
        first.setdefault(model, at)
        cold += at < first[model] + float(MODELS[model][1].removesuffix("GB")) / LOAD_GBPS
    return cold


async def read_chunked_lines(reader):
    """Yields NDJSON lines of a chunked body as their chunks arrive."""
    pending = b""
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        if size == 0:
            return
        pending += await reader.readexactly(size)
        await reader.readexactly(2)
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                yield line


async def stream_one(port, model, num_predict, index):
    """One streaming /api/generate: (status, ttft_s or None, final object or None)."""
    t0 = time.perf_counter()
    body = json.dumps({"model": model, "prompt": f"request {index}: tell me about {model}",
                       "options": {"num_predict": num_predict}}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /api/generate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        status = int((await reader.readline()).split()[1])
        chunked = False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            chunked |= line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
        if status != 200 or not chunked:
            return status, None, None
        ttft, final = None, None
        async for line in read_chunked_lines(reader):
            obj = json.loads(line)
            if ttft is None:
                ttft = time.perf_counter() - t0
            if obj.get("done"):
                final = obj
        return status, ttft, final
    finally:
        writer.close()


async def replay(port, trace, request_timeout):
    """Sends the trace open loop; returns one record per request (times in seconds from the first send)."""
    records = []
    start = time.perf_counter()

    async def one(i, model_index, num_predict):
        t0 = time.perf_counter()
        rec = {"model": MODELS[model_index][0], "at": t0 - start, "status": None, "ttft": None, "load_ns": None}
        try:
            rec["status"], rec["ttft"], final = await asyncio.wait_for(
                stream_one(port, MODELS[model_index][0], num_predict, i), request_timeout)
            if final is not None:
                rec["load_ns"] = final.get("load_duration", 0)
        except (asyncio.TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            rec["error"] = type(e).__name__
        rec["end"] = time.perf_counter() - start
        rec["waited"] = time.perf_counter() - t0
        records.append(rec)

    tasks = []
    for i, (at, model_index, num_predict) in enumerate(trace):
        delay = at - (time.perf_counter() - start)
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, model_index, num_predict)))
    await asyncio.gather(*tasks)
    return records


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summarize(records, loads):
    done = [r for r in records if r["load_ns"] is not None]
    # A request that never saw its first token counts with the time it waited: a lower bound, not a drop.
    ttfts = [r["ttft"] if r["ttft"] is not None else r["waited"] for r in records]
    wall = max((r["end"] for r in done), default=0)
    return {"requests": len(records), "completed": len(done), "failed": len(records) - len(done),
            "warm_hits": sum(1 for r in done if r["load_ns"] < WARM_LOAD_NS), "cold_loads": loads,
            "ttft_p50_ms": 1e3 * percentile(ttfts, 50) if ttfts else None,
            "ttft_p95_ms": 1e3 * percentile(ttfts, 95) if ttfts else None,
            "completed_per_s": len(done) / wall if wall else 0.0}


def run_contender(make, corral, trace, request_timeout, work):
    fleet = ModelFleet(corral)
    contender = make(fleet, work)
    try:
        contender.start()
        before = fleet.loads()
        records = asyncio.run(replay(contender.port, trace, request_timeout))
        result = summarize(records, fleet.loads() - before)
    finally:
        contender.stop()
        fleet.stop()
    result["name"] = contender.name
    print(f"{contender.name:26} {json.dumps(result)}", flush=True)
    result["records"] = records  # per request, for routing_quality.json only
    return result


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def render(results, trace_note):
    hap = next((r for r in results if r["name"].startswith("haproxy")), None)
    lines = ["# Routing quality: multi-model trace on 4 simulated workers", "", trace_note, "",
             "| contender | requests | completed | warm hits | cold loads | TTFT p50 ms | TTFT p95 ms | completed req/s |"
             " cold loads vs HAProxy | p95 TTFT vs HAProxy |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        warm = r["warm_hits"] / r["completed"] if r["completed"] else 0
        vs_loads = bench.ratio(r["cold_loads"], hap["cold_loads"]) if hap else "-"
        vs_p95 = bench.ratio(r["ttft_p95_ms"], hap["ttft_p95_ms"]) if hap else "-"
        lines.append(f"| {r['name']} | {r['requests']} | {r['completed']} | {100 * warm:.1f} % | {r['cold_loads']} | "
                     f"{fmt(r['ttft_p50_ms'], '.0f')} | {fmt(r['ttft_p95_ms'], '.0f')} | "
                     f"{r['completed_per_s']:.1f} | {vs_loads} | {vs_p95} |")
    lines += ["", "Goals for corral model_aware: warm hits >= 97 %, cold loads <= 0.20x and p95 TTFT <= 0.25x "
              "HAProxy's."]
    return "\n".join(lines) + "\n"


def goals_met(results):
    ours = next(r for r in results if r["name"] == "corral model_aware")
    hap = next((r for r in results if r["name"].startswith("haproxy")), None)
    met = {"warm hits >= 97 %": ours["completed"] and ours["warm_hits"] >= 0.97 * ours["completed"]}
    if hap:
        met["cold loads <= 1/5 of HAProxy's"] = ours["cold_loads"] * 5 <= hap["cold_loads"]
        met["p95 TTFT <= 1/4 of HAProxy's"] = ours["ttft_p95_ms"] * 4 <= hap["ttft_p95_ms"]
    return met


def smoke_problems(results):
    problems = []
    for r in results:
        if not r["completed"] or r["ttft_p50_ms"] is None:
            problems.append(f"{r['name']} completed no request")
        if r["name"].startswith("corral") and r["failed"]:
            problems.append(f"{r['name']} failed {r['failed']} requests")
    return problems


def main():
    bench.raise_fd_limit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corral", default=str(bench.ROOT / "build" / "corral"))
    ap.add_argument("--out", default=str(bench.ROOT / "bench" / "results"))
    ap.add_argument("--smoke", action="store_true", help="a few seconds of the trace: checks the harness itself")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    if not shutil.which("haproxy"):
        msg = "haproxy is not installed (scripts/install-deps.sh --bench installs it)"
        if args.smoke:
            print(f"routing quality smoke skipped: {msg}", file=sys.stderr)
            sys.exit(SKIP)
        sys.exit(f"routing quality: {msg}")

    seconds, rate, bursts, burst_size, request_timeout = (3, 4, 1, 6, 10) if args.smoke else (60, 9, 10, 12, 30)
    trace = make_trace(args.seed, seconds, rate, bursts, burst_size)
    floor = cold_start_floor(trace)
    note = (f"Trace (seed {args.seed}): {len(trace)} streaming /api/generate requests over {seconds} s, Poisson "
            f"{rate}/s with Zipf(1.1) popularity over {len(MODELS)} models plus {bursts} bursts of {burst_size} "
            f"for one model; {WORKERS} sims with {VRAM} VRAM (about two models), loads at {LOAD_GBPS} GB/s "
            f"(~1 s), {TOKENS_PER_SECOND} tokens/s, num_parallel {NUM_PARALLEL}; fresh sims per contender. "
            f"Cold-start floor: about {floor} requests arrive while their model's first load runs, cold under "
            f"any router (warm hits can reach about {100 * (1 - floor / len(trace)):.1f} %).")
    print(note, flush=True)
    work = Path(tempfile.mkdtemp(prefix="corral-routing-"))
    contenders = [
        lambda fleet, w: CorralModels(fleet, w, args.corral, "model_aware"),
        lambda fleet, w: CorralModels(fleet, w, args.corral, "least_connections"),
        HAProxyLeastconn,
    ]
    try:
        results = [run_contender(make, args.corral, trace, request_timeout, work) for make in contenders]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = render(results, note)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "routing_quality.md").write_text(table)
    (out / "routing_quality.json").write_text(json.dumps({"trace": note, "results": results}, indent=2))
    if args.smoke:
        problems = smoke_problems(results)
        for p in problems:
            print(f"smoke: {p}", file=sys.stderr)
        sys.exit(1 if problems else 0)
    for goal, ok in goals_met(results).items():
        print(f"{'met   ' if ok else 'MISSED'} {goal}")


if __name__ == "__main__":
    main()
