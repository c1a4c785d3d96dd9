"""API latency benchmark: p50/p95 per route against a real server on 127.0.0.1, on the demo and on the
×100 demo built by bench/pipeline.py.

    .venv/bin/python bench/api.py [--scales 1,100] [--requests 60]

For each workspace it starts `growthos serve` in its own process, creates a read key, warms each route
up, then times sequential requests with httpx. /api/health (no warehouse work) is the reference
measured in the same run: each route's p95 is printed beside it and beside its target
(< 50 ms on the demo, < 300 ms on ×100). Results are appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import free_port, running_server  # noqa: E402

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TARGET_MS = {1.0: 50.0, 100.0: 300.0}

ROUTES = [
    "/api/health",
    "/api/metrics/summary?range=30d",
    "/api/metrics/summary?range=30d&metrics=net_revenue,orders,aov,new_customers,ad_spend,mer,ncac,conversion_rate,"
    "contribution_margin,refund_rate",
    "/api/metrics/timeseries?range=30d&metrics=net_revenue,ad_spend,orders,mer,ncac,conversion_rate",
    "/api/metrics/timeseries?range=90d&interval=week&metrics=net_revenue,orders",
    "/api/metrics/channels?range=30d",
    "/api/metrics/campaigns?range=30d",
    "/api/metrics/funnel?range=30d",
    "/api/metrics/unit-economics?range=30d",
    "/api/metrics/cohorts",
    "/api/catalogue",
    "/api/jobs?limit=50",
]


def _cli(data_dir: Path, *args: str) -> str:
    proc = subprocess.run([str(BIN / "growthos"), "--data-dir", str(data_dir), *args], capture_output=True,
                          text=True, check=True)
    return proc.stdout.strip()


def measure(data_dir: Path, requests: int) -> dict[str, list[float]]:
    key = _cli(data_dir, "keys", "create", "--scope", "read", "--name", "bench").splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_server([str(BIN / "growthos"), "--data-dir", str(data_dir), "serve", "--port", str(port)], port):
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
            timings: dict[str, list[float]] = {}
            for route in ROUTES:
                for _ in range(3):  # warm-up
                    client.get(route).raise_for_status()
                samples = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    client.get(route).raise_for_status()
                    samples.append((time.perf_counter() - t0) * 1000)
                timings[route] = samples
            return timings


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,100")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    sections = []
    for scale in [float(s) for s in args.scales.split(",")]:
        data_dir = ROOT / "out" / f"demo-x{scale:g}"
        if not (data_dir / "warehouse.duckdb").exists():
            raise SystemExit(f"{data_dir} is missing: run bench/pipeline.py --scales {scale:g} first")
        timings = measure(data_dir, args.requests)
        target = TARGET_MS.get(scale)
        reference = p95(timings["/api/health"])
        lines = [f"#### ×{scale:g} demo ({data_dir.name}), {args.requests} sequential requests per route",
                 "", "| route | p50 ms | p95 ms | p95 ÷ /api/health p95 | target p95 | met |",
                 "|---|---|---|---|---|---|"]
        for route, samples in timings.items():
            value = p95(samples)
            met = "—" if target is None or route == "/api/health" else ("yes" if value < target else "NO")
            lines.append(f"| `{route}` | {statistics.median(samples):.1f} | {value:.1f} | {value / reference:.1f}× | "
                         f"{'' if target is None else f'< {target:g} ms'} | {met} |")
        section = "\n".join(lines) + "\n"
        print(section, flush=True)
        sections.append(section)
    if not args.no_record:
        header = (f"### API latency — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n`.venv/bin/python bench/api.py "
                  f"--scales {args.scales} --requests {args.requests}` on {os.cpu_count()} cores; server and client "
                  "on the same machine (127.0.0.1), one client, keep-alive.\n\n")
        with (ROOT / "RESULTS.md").open("a") as fh:
            fh.write(header + "\n".join(sections) + "\n")


if __name__ == "__main__":
    main()
