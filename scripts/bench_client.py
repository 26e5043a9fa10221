#!/usr/bin/env python3
"""Benchmark the Lightspeed API client against the local simulator.

Starts ``python -m lightspeed_simulator`` with N sales, fetches every sale with the default
relations (SaleLines, SaleLines.Item, SaleLines.Note, SalePayments, SalePayments.PaymentType) and
prints:

* requests per 1,000 sales fetched (with relations),
* client overhead per page = (wall time - time inside HTTP calls - throttling sleeps) / pages,
  i.e. JSON decoding, typed-object parsing and bookkeeping in the client,
* server time per page (``X-Sim-Server-Time``) and simulator start-up time.

Usage: ``python scripts/bench_client.py --sales 5000 [--realistic-limits] [--startup 100000]``
"""

import argparse
import json
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "lightspeed_connector" not in sys.modules:  # avoid importing odoo via the addon __init__
    _stub = types.ModuleType("lightspeed_connector")
    _stub.__path__ = [str(ROOT / "lightspeed_connector")]
    sys.modules["lightspeed_connector"] = _stub

from lightspeed_connector.api import LightspeedClient, TokenSet  # noqa: E402

READY = "LIGHTSPEED_SIMULATOR_READY "


def start_simulator(*args):
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lightspeed_simulator", "--port", "0", *map(str, args)],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith(READY):
        proc.terminate()
        raise SystemExit(f"simulator failed to start: {line!r}")
    return proc, line[len(READY) :].strip(), time.perf_counter() - started


def post(base, action, **data):
    req = urllib.request.Request(
        f"{base}/_sim/{action}",
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def bench(sales, seed, realistic):
    limits = () if realistic else ("--burst-limit", "100000", "--bucket-size", "1e9")
    proc, base, startup = start_simulator("--sales", sales, "--seed", seed, *limits)
    try:
        token = TokenSet.from_response(post(base, "issue_token", scope="employee:all"))
        client = LightspeedClient(base, "12345", token)
        server_ms = []

        def hook(response, *args, **kwargs):
            if response.headers.get("X-Sim-Server-Time"):
                server_ms.append(float(response.headers["X-Sim-Server-Time"]))

        client.session.hooks["response"].append(hook)
        started = time.perf_counter()
        fetched = sum(1 for _ in client.iter_sales(completed=None, archived=True))
        wall = time.perf_counter() - started
        pages = client.request_count
        overhead = wall - client.transport_seconds - client.limiter.waited
        print(f"simulator start-up ({sales} sales): {startup * 1000:.0f} ms")
        print(f"sales fetched: {fetched} in {pages} requests, {wall:.2f} s wall")
        print(f"requests per 1,000 sales (with relations): {pages * 1000 / max(fetched, 1):.2f}")
        print(f"client overhead per page: {overhead / max(pages, 1) * 1000:.2f} ms")
        print(f"HTTP time per page: {client.transport_seconds / max(pages, 1) * 1000:.2f} ms")
        if server_ms:
            print(f"server time per page: {sum(server_ms) / len(server_ms):.2f} ms")
        print(f"throttled: {client.limiter.waited:.2f} s")
    finally:
        proc.terminate()
        proc.wait(10)


def startup_check(sales):
    proc, base, startup = start_simulator(
        "--sales", sales, "--burst-limit", "100000", "--bucket-size", "1e9"
    )
    try:
        token = TokenSet.from_response(post(base, "issue_token"))
        client = LightspeedClient(base, "12345", token)
        timings = []
        pages = client.iter_pages(
            "Sale",
            {
                "sort": "updatetime",
                "load_relations": ["SaleLines", "SalePayments", "SalePayments.PaymentType"],
            },
        )
        t0 = time.perf_counter()
        for n, _sale in enumerate(pages, start=1):
            if n % 100 == 0:
                timings.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
            if n >= 2000:
                break
        print(f"simulator start-up ({sales} sales): {startup * 1000:.0f} ms")
        print(f"page latency (first 20 pages, avg): {sum(timings) / len(timings) * 1000:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--realistic-limits", action="store_true", help="default bucket/burst")
    parser.add_argument("--startup", type=int, default=0, help="also time start-up with N sales")
    args = parser.parse_args()
    bench(args.sales, args.seed, args.realistic_limits)
    if args.startup:
        startup_check(args.startup)


if __name__ == "__main__":
    main()
