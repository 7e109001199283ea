#!/usr/bin/env python3
"""Per-request costs of a proxy under scenario 1's load (small non-streamed /api/generate, 64
keep-alive connections): system calls, allocation calls and CPU seconds per request.

  bench/tools/per_request.py --corral build-bench/corral [--haproxy] [--seconds 4] [--threads 1]

Syscalls come from `strace -c -f` attached for one wrk run (strace slows the proxy a lot, but the
count per request does not depend on speed); allocations from bench/tools/malloc_count.c preloaded
into Corral (built on the fly into the work directory); CPU from /proc in a separate run without
strace. HAProxy is measured the same way (syscalls and CPU) for reference with --haproxy.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bench  # noqa: E402


def strace_run(pid, port, seconds, work):
    out = work / "strace.txt"
    tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(out), "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attach to every thread before the load starts
    r = bench.wrk(port, 64, 2, seconds, work)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(30)
    calls, errors = {}, {}
    for line in out.read_text().splitlines():
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and not line.startswith("100.00"):
            name = f[-1]
            calls[name] = int(f[3])
            errors[name] = int(f[4]) if len(f) == 6 else 0
    return r["requests"], calls, errors


def measure(contender, seconds, work, malloc_out=None):
    contender.start()
    try:
        bench.wrk(contender.port, 64, 2, 1, work)  # warm-up
        pids = contender.pids()
        cpu0 = bench.cpu_seconds(pids)
        m0 = read_mallocs(contender.proc.pid, malloc_out)
        r = bench.wrk(contender.port, 64, 2, seconds, work)
        m1 = read_mallocs(contender.proc.pid, malloc_out)
        cpu = (bench.cpu_seconds(pids) - cpu0) / max(r["requests"], 1) * 1e5
        requests, calls, errors = strace_run(contender.proc.pid, contender.port, seconds, work)
    finally:
        contender.stop()
    total = sum(calls.values())
    print(f"== {contender.name}: {r['rps']:.0f} req/s untraced, {cpu:.2f} CPU s / 100k req")
    if m0 is not None and m1 is not None:
        print(f"   allocation calls per request: {(m1 - m0) / max(r['requests'], 1):.2f}")
    print(f"   syscalls per request: {total / max(requests, 1):.2f} ({requests} requests traced)")
    for name, n in sorted(calls.items(), key=lambda kv: -kv[1]):
        if n / max(requests, 1) >= 0.01:
            failed = f" ({errors[name] / requests:.2f} failed, e.g. EAGAIN)" if errors.get(name) else ""
            print(f"     {name:16} {n / requests:6.2f}{failed}")


def read_mallocs(pid, path):
    if path is None:
        return None
    os.kill(pid, signal.SIGWINCH)
    time.sleep(0.3)
    try:
        return int(Path(path).read_text())
    except (OSError, ValueError):
        return None


def main():
    bench.raise_fd_limit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corral", default=str(bench.ROOT / "build-bench" / "corral"))
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--haproxy", action="store_true", help="measure HAProxy too")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-perreq-"))
    lib = work / "malloc_count.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(lib),
                    str(Path(__file__).resolve().parent / "malloc_count.c"), "-ldl"], check=True)
    fleet = bench.Fleet(args.corral, 2, 0)
    try:
        malloc_out = work / "mallocs"
        os.environ["LD_PRELOAD"] = str(lib)
        os.environ["MALLOC_COUNT_OUT"] = str(malloc_out)
        try:
            measure(bench.Corral(fleet, args.threads, work, args.corral), args.seconds, work, malloc_out)
        finally:
            del os.environ["LD_PRELOAD"]
        if args.haproxy:
            measure(bench.HAProxy(fleet, args.threads, work), args.seconds, work)
    finally:
        fleet.stop()


if __name__ == "__main__":
    main()
