"""Requests per second and latency of `runplan serve`'s advise API, on loopback.

Starts `runplan serve --port 0` as its own process, then for each concurrency (default 1, 4,
16) runs that many clients, each on one keep-alive HTTP connection, posting the example
profiles (`core-api`, `payments-webhook`, `chat-websocket`, in turn) to `POST /api/advise`
for `--seconds` seconds or `--requests` requests in all, whichever ends first. Reports
requests per second, the median and the 99th percentile latency, and any non-200 response.
The server is stopped with SIGINT (as Ctrl-C) at the end.

    python benchmarks/bench_serve.py
    python benchmarks/bench_serve.py --clients 1 4 16 --seconds 10 --requests 5000

Not part of the test run; the README has the table it printed on this kind of machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("core-api.yaml", "payments-webhook.yaml", "chat-websocket.yaml")


def start() -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen([sys.executable, "-m", "runplan", "serve", "--port", "0"],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"http://([\d.]+):(\d+)/", line)
    if m is None:
        proc.kill()
        raise SystemExit(f"runplan serve did not start: {line!r}")
    return proc, m.group(1), int(m.group(2))


def run(host: str, port: int, clients: int, seconds: float, budget: int,
        bodies: list[bytes]) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    left = [budget]
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        nonlocal failures
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.connect()
        # http.client writes the headers and the body apart: without this, Nagle and the
        # server's delayed ACK would add 40 ms to every request of a keep-alive connection.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        i = k
        mine: list[float] = []
        bad = 0
        while time.perf_counter() < deadline:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            body = bodies[i % len(bodies)]
            i += 1
            t = time.perf_counter()
            conn.request("POST", "/api/advise", body, {"content-type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t)
            bad += resp.status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {"clients": clients, "requests": n, "seconds": round(wall, 2),
            "rps": round(n / wall, 1),
            "p50_ms": round(1000 * latencies[n // 2], 1) if n else 0.0,
            "p99_ms": round(1000 * latencies[min(n - 1, int(n * 0.99))], 1) if n else 0.0,
            "failures": failures}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--seconds", type=float, default=10.0, help="per concurrency level")
    ap.add_argument("--requests", type=int, default=5000, help="at most, per level")
    args = ap.parse_args()
    bodies = [json.dumps(yaml.safe_load((ROOT / "examples" / p).read_text())).encode()
              for p in PROFILES]
    proc, host, port = start()
    try:
        run(host, port, 1, 2.0, 50, bodies)  # warm-up: caches, first imports
        print(f"runplan serve advise API, {os.cpu_count()} CPUs, load "
              f"{os.getloadavg()[0]:.2f}")
        print("| clients | requests | rps | p50 ms | p99 ms | failures |")
        print("|---:|---:|---:|---:|---:|---:|")
        for c in args.clients:
            r = run(host, port, c, args.seconds, args.requests, bodies)
            print(f"| {r['clients']} | {r['requests']} | {r['rps']} | {r['p50_ms']} | "
                  f"{r['p99_ms']} | {r['failures']} |", flush=True)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
