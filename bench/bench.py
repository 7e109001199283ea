#!/usr/bin/env python3
"""Corral against HAProxy and NGINX, side by side, in one run.

Every contender stands in front of the same `corral sim` workers with the same number of
threads; "direct" (the client talking to one sim) is the floor. The machines we run on are
noisy and small, so what counts are the ratios measured within one invocation, not the
absolute figures. See bench/README.md for what each scenario measures and how to read it.

Usage: bench/bench.py [--quick | --smoke] [--corral build/corral] [--out bench/results]

--smoke is what `make test` runs: one second of scenarios 1 and 2 against direct and Corral (and
HAProxy/NGINX when installed), to prove the harness starts everything, parses wrk and renders the
table. It exits non-zero when a contender produced no figures or Corral answered with errors.
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "bench:1b"
SMALL_BODY = '{"model":"%s","prompt":"hello","stream":false,"options":{"num_predict":4}}' % MODEL


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def start_reading_first_line(cmd):
    """Starts a corral subcommand that prints HOST:PORT on its first stdout line."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not re.match(r"^[\w.\[\]:-]+:\d+$", line):
        proc.kill()
        raise RuntimeError(f"{cmd[0]} {cmd[1]} printed {line!r} instead of HOST:PORT")
    return proc, int(line.rsplit(":", 1)[1])


def process_tree(pid):
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        for child in out.split():
            pids += process_tree(int(child))
    except OSError:
        pass
    return pids


def cpu_seconds(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError):
            pass
    return total / tick


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Fleet:
    """The simulated workers every contender shares."""

    def __init__(self, corral, count, tokens_per_second, extra=()):
        self.procs = []
        self.ports = []
        for _ in range(count):
            proc, port = start_reading_first_line([
                corral, "sim", "--listen", "127.0.0.1:0", "--model", f"{MODEL}=1GB",
                "--tokens-per-second", str(tokens_per_second), "--load-gbps", "1000",
                "--num-parallel", "20000", "--max-queue", "100000", "--keep-alive", "-1", *extra])
            self.procs.append(proc)
            self.ports.append(port)
        # Warm the model everywhere so no run pays a load.
        for port in self.ports:
            subprocess.run(["curl", "-s", "-o", "/dev/null", "-d", SMALL_BODY,
                            f"http://127.0.0.1:{port}/api/generate"], check=False)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


class Contender:
    name = "?"

    def __init__(self, fleet, threads, workdir):
        self.fleet, self.threads, self.workdir = fleet, threads, workdir
        self.proc = None
        self.port = None

    def pids(self):
        return process_tree(self.proc.pid) if self.proc else []

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


class Direct(Contender):
    name = "direct"

    def start(self):
        self.port = self.fleet.ports[0]

    def pids(self):
        return []

    def stop(self):
        pass


class Corral(Contender):
    name = "corral"

    def __init__(self, fleet, threads, workdir, binary):
        super().__init__(fleet, threads, workdir)
        self.binary = binary

    def start(self):
        # Like for like with the peers, which run without access logs (HAProxy's config has no `log`,
        # NGINX `access_log off`): Corral's default (a JSON line per request to stderr) is turned off.
        # Like for like with the peers' least-connections balancing: quick mode's model_aware policy would
        # cap each backend at its configured num_parallel (default 1, Ollama's), which these sims
        # (--num-parallel 20000) do not need and HAProxy/NGINX do not apply.
        backends = "\n".join(f"      - url: http://127.0.0.1:{p}" for p in self.fleet.ports)
        cfg = self.workdir / "corral.yaml"
        cfg.write_text(f"""listen: 127.0.0.1:0
threads: {self.threads}
pools:
  - name: bench
    policy: least_connections
    backends:
{backends}
default_pool: bench
queue: {{max_length: 100000, timeout: 300s}}
access_log: {{level: off}}
""")
        cmd = [self.binary, "serve", "-c", str(cfg)]
        self.proc, self.port = start_reading_first_line(cmd)
        wait_port(self.port)
        # Readiness: the first health round must have marked the workers up.
        deadline = time.time() + 20
        while time.time() < deadline:
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                f"http://127.0.0.1:{self.port}/readyz"], capture_output=True, text=True)
            if r.stdout == "200":
                break
            time.sleep(0.1)


class HAProxy(Contender):
    name = "haproxy"

    def start(self):
        self.port = free_port()
        servers = "\n".join(
            f"  server s{i} 127.0.0.1:{p} check inter 5s fall 3 rise 2"
            for i, p in enumerate(self.fleet.ports))
        cfg = f"""global
  nbthread {self.threads}
  maxconn {max_conns()}
defaults
  mode http
  timeout connect 10s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 10s
frontend ollama_frontend
  bind 127.0.0.1:{self.port}
  default_backend ollama_backend
backend ollama_backend
  balance leastconn
  option httpchk GET /api/tags
  http-check expect status 200
  http-reuse always
{servers}
"""
        path = self.workdir / "haproxy.cfg"
        path.write_text(cfg)
        self.proc = subprocess.Popen(["haproxy", "-f", str(path), "-db"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)


class Nginx(Contender):
    name = "nginx"

    def start(self):
        self.port = free_port()
        prefix = self.workdir / "nginx"
        prefix.mkdir(exist_ok=True)
        servers = "\n".join(f"    server 127.0.0.1:{p};" for p in self.fleet.ports)
        cfg = f"""worker_processes {self.threads};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 30000; }}
worker_rlimit_nofile 65536;
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  upstream ollama {{
    least_conn;
{servers}
    keepalive 256;
  }}
  server {{
    listen 127.0.0.1:{self.port};
    client_max_body_size 100m;
    location / {{
      proxy_pass http://ollama;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
    }}
  }}
}}
"""
        path = prefix / "nginx.conf"
        path.write_text(cfg)
        self.proc = subprocess.Popen(["nginx", "-c", str(path), "-p", str(prefix), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)


def wrk(port, connections, threads, seconds, workdir):
    script = workdir / "post.lua"
    script.write_text('wrk.method = "POST"\nwrk.body = \'%s\'\n'
                      'wrk.headers["Content-Type"] = "application/json"\n' % SMALL_BODY)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                          "--latency", "-s", str(script), f"http://127.0.0.1:{port}/api/generate"],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    lat = {}
    for pct, val, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        scale = {"us": 1, "ms": 1e3, "s": 1e6}[unit]
        lat[pct] = float(val) * scale
    return {"rps": rps, "requests": total, "errors": errors, "p50_us": lat.get("50"), "p99_us": lat.get("99")}


def run_probe(probe, port, streams, tokens, hold=False):
    cmd = [probe, "--target", f"127.0.0.1:{port}", "--streams", str(streams), "--tokens", str(tokens),
           "--model", MODEL]
    if hold:
        cmd.append("--hold")
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


def machine_details():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break

    def version(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            return (r.stdout or r.stderr).splitlines()[0]
        except (OSError, IndexError):
            return "?"

    return {
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "haproxy": version(["haproxy", "-v"]), "nginx": version(["nginx", "-v"]),
        "wrk": version(["wrk", "-v"]), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def raise_fd_limit():
    # 10,000 open streams need two descriptors each in a proxy; HAProxy also refuses to start
    # when its maxconn cannot be backed by the limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (65536, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), max(hard, want)))
            return
        except (ValueError, OSError):
            continue


def max_conns():
    # A proxy holds two descriptors per stream (client and upstream). Containers may cap the
    # hard limit (20,000 on our CI machines) below what 10,000 streams need.
    return min(30000, (resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 500) // 2)


def main():
    raise_fd_limit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs, 1 thread only (under 2 minutes)")
    ap.add_argument("--corral", default=str(ROOT / "build" / "corral"))
    ap.add_argument("--probe", default=str(ROOT / "build-bench" / "stream_probe"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--only", default="", help="comma-separated scenarios to run (1-4)")
    ap.add_argument("--smoke", action="store_true",
                    help="one second of scenarios 1-2: checks the harness itself (run by make test)")
    args = ap.parse_args()
    if args.smoke:
        args.quick, args.only = True, args.only or "1,2"

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="corral-bench-"))
    seconds = 1 if args.smoke else 4 if args.quick else 10
    thread_counts = [1] if args.quick else [1, 2]
    scenarios = set(args.only.split(",")) if args.only else {"1", "2", "3", "4"}
    streams = 200 if args.quick else 1000
    idle_streams = min(1000 if args.quick else 10000, max_conns() - 100)
    results = {"machine": machine_details(), "quick": args.quick, "small": {}, "latency": {}, "stream": {},
               "idle": {}}

    def contenders(fleet, threads):
        # The smoke run goes on without HAProxy/NGINX where they are not installed (make test does not
        # install them); a real run requires them (make bench installs them).
        peers = [c for c, exe in ((HAProxy, "haproxy"), (Nginx, "nginx")) if not args.smoke or shutil.which(exe)]
        return [Direct(fleet, threads, work), Corral(fleet, threads, work, args.corral)] + \
            [c(fleet, threads, work) for c in peers]

    fleet = Fleet(args.corral, 2, 0)
    try:
        if "1" in scenarios:
            for threads in thread_counts:
                for c in contenders(fleet, threads):
                    c.start()
                    try:
                        wrk(c.port, 64, 1, 1, work)  # warm-up: connections, pools, caches
                        cpu0 = cpu_seconds(c.pids())
                        r = wrk(c.port, 64, 2, seconds, work)
                        r["cpu_s_per_100k"] = (cpu_seconds(c.pids()) - cpu0) / max(r["requests"], 1) * 1e5 \
                            if c.name != "direct" else None
                        results["small"][f"{c.name}/{threads}"] = r
                        print(f"[1] {c.name:8} threads={threads} {r}", flush=True)
                    finally:
                        c.stop()
        if "2" in scenarios:
            for c in contenders(fleet, 1):
                c.start()
                try:
                    wrk(c.port, 1, 1, 1, work)
                    r = wrk(c.port, 1, 1, seconds, work)
                    results["latency"][c.name] = r
                    print(f"[2] {c.name:8} {r}", flush=True)
                finally:
                    c.stop()
    finally:
        fleet.stop()

    have_probe = Path(args.probe).exists()
    if not have_probe and ({"3", "4"} & scenarios):
        print(f"stream_probe not found at {args.probe}: skipping scenarios 3 and 4", file=sys.stderr)
    if have_probe and "3" in scenarios:
        # 1,000 concurrent streams at 10 tokens/s each: 10k chunks/s through the proxy.
        fleet = Fleet(args.corral, 2, 10)
        try:
            for c in contenders(fleet, 1):
                c.start()
                try:
                    r = run_probe(args.probe, c.port, streams, 30)
                    results["stream"][c.name] = r
                    print(f"[3] {c.name:8} {r}", flush=True)
                finally:
                    c.stop()
        finally:
            fleet.stop()
    if have_probe and "4" in scenarios:
        # Idle open streams: every stream gets its headers and one token, then the sims stall
        # (a /sim/fault), so the streams sit open with nothing flowing.
        fleet = Fleet(args.corral, 2, 1000)
        try:
            for port in fleet.ports:
                subprocess.run(["curl", "-s", "-o", "/dev/null", "-d",
                                '{"stall_after_chunks":1,"stall_for":"1h"}',
                                f"http://127.0.0.1:{port}/sim/fault"], check=False)
            for c in contenders(fleet, 1)[1:]:
                c.start()
                try:
                    before = rss_kib(c.pids())
                    holder = run_probe(args.probe, c.port, idle_streams, 5, hold=True)
                    opened = json.loads(holder.stdout.readline())
                    after = rss_kib(c.pids())
                    holder.stdin.close()
                    holder.wait(60)
                    per = (after - before) / max(opened["open"], 1)
                    results["idle"][c.name] = {"open": opened["open"], "rss_before_kib": before,
                                               "rss_after_kib": after, "kib_per_stream": per}
                    print(f"[4] {c.name:8} {results['idle'][c.name]}", flush=True)
                finally:
                    c.stop()
        finally:
            fleet.stop()

    table = render(results, thread_counts)
    print(table)
    (out_dir / "results.md").write_text(table)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    plot(results, thread_counts, out_dir, work)
    shutil.rmtree(work, ignore_errors=True)
    if args.smoke:
        sys.exit(smoke_verdict(results))


def smoke_verdict(r):
    """What the smoke run checks: every scenario produced figures for direct and Corral, and Corral
    answered every request (a proxy that errors fast would otherwise look fast)."""
    problems = []
    for key in ("direct/1", "corral/1"):
        x = r["small"].get(key)
        if not x or not x["rps"] or x["p50_us"] is None:
            problems.append(f"scenario 1 has no figures for {key}")
    for name in ("direct", "corral"):
        if not r["latency"].get(name, {}).get("requests"):
            problems.append(f"scenario 2 has no figures for {name}")
    errors = sum(r[s].get(k, {}).get("errors", 0) for s, k in (("small", "corral/1"), ("latency", "corral")))
    if errors:
        problems.append(f"corral answered {errors} requests with errors")
    for p in problems:
        print(f"smoke: {p}", file=sys.stderr)
    return 1 if problems else 0


def render(r, thread_counts):
    m = r["machine"]
    lines = [f"# Corral benchmark{' (quick)' if r['quick'] else ''}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; {m['haproxy']}; {m['nginx']}; "
             f"{m['wrk']}; {m['date']}.", ""]
    if r["small"]:
        lines += ["## 1. Small non-streamed /api/generate, 64 keep-alive connections", "",
                  "| contender | threads | req/s | p50 µs | p99 µs | CPU s / 100k req | vs HAProxy | vs NGINX |",
                  "|---|---|---|---|---|---|---|---|"]
        for t in thread_counts:
            hap = r["small"].get(f"haproxy/{t}", {}).get("rps")
            ngx = r["small"].get(f"nginx/{t}", {}).get("rps")
            for name in ("direct", "corral", "haproxy", "nginx"):
                x = r["small"].get(f"{name}/{t}")
                if not x:
                    continue
                cpu = f"{x['cpu_s_per_100k']:.2f}" if x.get("cpu_s_per_100k") is not None else "-"
                lines.append(f"| {name} | {t} | {x['rps']:.0f} | {x['p50_us'] or 0:.0f} | {x['p99_us'] or 0:.0f} | "
                             f"{cpu} | {ratio(x['rps'], hap)} | {ratio(x['rps'], ngx)} |")
        lines.append("")
    if r["latency"]:
        d = r["latency"].get("direct", {})
        lines += ["## 2. Added latency, 1 connection (minus direct)", "",
                  "| contender | p50 µs | p99 µs | added p50 µs | added p99 µs |", "|---|---|---|---|---|"]
        for name, x in r["latency"].items():
            lines.append(f"| {name} | {x['p50_us']:.0f} | {x['p99_us']:.0f} | "
                         f"{x['p50_us'] - d.get('p50_us', 0):.0f} | {x['p99_us'] - d.get('p99_us', 0):.0f} |")
        lines.append("")
    if r["stream"]:
        d = r["stream"].get("direct", {})
        lines += ["## 3. Streaming: concurrent NDJSON streams at 10 tokens/s", "",
                  "| contender | streams ok | chunks | batched reads | held-back reads | delay p50 µs | delay p99 µs | "
                  "added p99 µs |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, x in r["stream"].items():
            lines.append(f"| {name} | {x['finished']}/{x['streams']} | {x['chunks']} | {x['batched_reads']} | "
                         f"{x.get('held_back_reads', '-')} | "
                         f"{x['delay_p50_us']:.0f} | {x['delay_p99_us']:.0f} | "
                         f"{x['delay_p99_us'] - d.get('delay_p99_us', 0):.0f} |")
        lines.append("")
    if r["idle"]:
        lines += ["## 4. Idle open streams: proxy memory", "",
                  "| contender | open streams | RSS before KiB | RSS after KiB | KiB per stream |", "|---|---|---|---|---|"]
        for name, x in r["idle"].items():
            lines.append(f"| {name} | {x['open']} | {x['rss_before_kib']} | {x['rss_after_kib']} | "
                         f"{x['kib_per_stream']:.1f} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def plot(r, thread_counts, out_dir, work):
    if not shutil.which("gnuplot") or not r["small"]:
        return
    data = work / "small.dat"
    rows = []
    for name in ("direct", "corral", "haproxy", "nginx"):
        vals = [str(r["small"].get(f"{name}/{t}", {}).get("rps", 0)) for t in thread_counts]
        rows.append(f"{name} " + " ".join(vals))
    data.write_text("\n".join(rows) + "\n")
    cols = " , ".join(f"'{data}' using {i + 2}:xtic(1) title '{t} thread(s)'" for i, t in enumerate(thread_counts))
    script = (f"set terminal png size 800,450\nset output '{out_dir / 'small_rps.png'}'\n"
              "set style data histograms\nset style fill solid 0.8\nset ylabel 'requests/s'\n"
              "set title 'Small non-streamed requests, 64 connections'\nset yrange [0:*]\n"
              f"plot {cols}\n")
    subprocess.run(["gnuplot"], input=script, text=True, check=False)


if __name__ == "__main__":
    main()
