"""Pipeline benchmark: load the demo at several scales into the raw layer, then build the warehouse
(all models + checks) in a fresh process and record wall time and the process's peak memory.

    .venv/bin/python bench/pipeline.py [--scales 1,10,100] [--threads 2] [--keep]

Prints one row per scale and the ratio of each build time to the previous scale's, measured in the
same run; appends the table to bench/RESULTS.md with the command. Raw layers are cached in
bench/out/ (re-used while the generator is unchanged) so only the build is timed repeatedly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"

_CHILD = r"""
import json, resource, sys, time
from growthos.config import load_settings
from growthos.pipeline import build_and_check
from growthos.workspace import Workspace
settings = load_settings(data_dir=sys.argv[1], duckdb_threads=int(sys.argv[2]), duckdb_memory_limit=sys.argv[3])
t0 = time.perf_counter()
with Workspace(settings) as ws:
    result = build_and_check(ws)
seconds = time.perf_counter() - t0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "rows": result.build.rows,
                  "failed_checks": [c.name for c in result.checks if c.status == "fail"]}))
"""


def load(scale: float, data_dir: Path) -> dict:
    """Generate and ingest the demo at `scale` unless a complete raw layer is already cached."""
    marker = data_dir / "loaded.json"
    if marker.exists():
        return json.loads(marker.read_text())
    import shutil

    from growthos.config import load_settings
    from growthos.pipeline import demo_settings, load_records
    from growthos.sources.demo import generate
    from growthos.workspace import Workspace

    shutil.rmtree(data_dir, ignore_errors=True)
    settings = demo_settings(load_settings(data_dir=data_dir))
    t0 = time.perf_counter()
    with Workspace(settings) as ws:
        stats = load_records(ws, generate(scale=scale))
    info = {"records": stats.received, "load_seconds": time.perf_counter() - t0}
    marker.write_text(json.dumps(info))
    return info


def build(data_dir: Path, threads: int, memory_limit: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data_dir), str(threads), memory_limit],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1536MB")
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    rows = []
    for scale in scales:
        data_dir = OUT / f"demo-x{scale:g}"
        info = load(scale, data_dir)
        result = build(data_dir, args.threads, args.memory_limit)
        orders = result["rows"]["fact_orders"]
        rows.append({"scale": scale, "orders": orders, **info, **result})
        print(f"x{scale:g}: {orders:,} orders, {info['records']:,} raw records "
              f"(loaded in {info['load_seconds']:.1f} s); "
              f"build {result['seconds']:.2f} s, peak {result['peak_mib']:.0f} MiB, "
              f"failed checks: {result['failed_checks'] or 'none'}", flush=True)
    lines = [
        f"### Pipeline build — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`.venv/bin/python bench/pipeline.py --scales {args.scales} --threads {args.threads} "
        f"--memory-limit {args.memory_limit}` on {os.cpu_count()} cores, Python {platform.python_version()}.",
        "Build = every SQL model in one transaction + the data-quality checks, in a fresh process; "
        "peak = that process's max RSS.",
        "",
        "| scale | orders | raw records | load s | build s | build ratio vs previous scale | peak MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    previous = None
    for r in rows:
        ratio = f"{r['seconds'] / previous['seconds']:.2f}× (data {r['orders'] / previous['orders']:.1f}×)" \
            if previous else "—"
        lines.append(f"| ×{r['scale']:g} | {r['orders']:,} | {r['records']:,} | {r['load_seconds']:.1f} | "
                     f"{r['seconds']:.2f} | {ratio} | {r['peak_mib']:.0f} |")
        previous = r
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        results = ROOT / "RESULTS.md"
        header = "" if results.exists() else "# Benchmark results\n\nEach section names its command.\n\n"
        with results.open("a") as fh:
            fh.write(header + text + "\n")


if __name__ == "__main__":
    main()
