"""Sustained load: ingestion at half its measured maximum plus dashboard reads from 8 clients, for minutes.

    .venv/bin/python bench/load.py [--minutes 5] [--readers 8] [--think 0.5] [--memory [--tracemalloc]] [--no-record]

Builds the demo in a fresh data directory under bench/out/, starts `growthos serve` in its own process and
creates an ingest and a read key. Then, in one run:

1. Maximum: 4 client processes post Segment batches of 100 messages (bench/collector.py's analytics.js-like
   messages) to /v1/batch as fast as answers come for 15 s: acknowledged events/s. This is the reference.
2. Sustained, ``--minutes``: 2 client processes post batches on a fixed schedule adding up to 50% of that
   maximum, while ``--readers`` client processes each load the dashboard's API routes (bench/api.py's) one after
   another with ``--think`` seconds between requests. Every answer is counted by status; reads keep their
   latency per route; the server's resident memory is sampled every 2 s.
3. Overload, 10 s: ``--overload-senders`` (96) senders in 12 processes post as fast as they can, none waiting for
   Retry-After, to show back-pressure: 429/503 carry Retry-After and a problem body, and nothing else fails.

``--memory`` serves bench/memory_app.py instead of `growthos serve` (the same app plus ``/bench/memory``) and
samples, every 30 s, DuckDB's ``duckdb_memory()`` by tag, the Python heap (with ``--tracemalloc``: traced size and
the source lines that grew most) and the server's queues, to tell a Python leak from DuckDB's buffers.

Afterwards the server is stopped and the warehouse reopened: every acknowledged event must be there exactly
once. Printed and appended to bench/RESULTS.md: requests tried, answers by status, errors, events acknowledged
and lost, read p95 per route against the dashboard's target (< 50 ms on the demo), and memory (first minute,
last minute, peak, slope over the run).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import ROUTES, TARGET_MS  # noqa: E402
from collector import BATCH, message  # noqa: E402
from live import free_port, running_server  # noqa: E402

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
READ_TARGET_MS = TARGET_MS[1.0]
SERVER_CMD = os.environ.get("LOAD_SERVER_CMD", str(BIN / "growthos")).split()


def _cli(data_dir: Path, *args: str) -> str:
    proc = subprocess.run([str(BIN / "growthos"), "--data-dir", str(data_dir), *args], capture_output=True,
                          text=True, check=True)
    return proc.stdout.strip()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def lazy_bodies(tag: str, client: int, batches: int) -> Iterator[bytes]:
    """bench/collector.py's batches, built one at a time (minutes of them would not fit in memory)."""
    first = client * batches * BATCH
    for b in range(batches):
        yield orjson.dumps({"batch": [message(tag, first + b * BATCH + j) for j in range(BATCH)],
                            "sentAt": datetime.now(UTC).isoformat()})


def ingest_client(base: str, key: str, tag: str, client: int, batches: int, interval: float | None,
                  deadline: float, results: Any, threads: int = 1) -> None:
    """Post ``batches`` prebuilt bodies: every ``interval`` seconds on a fixed schedule, or back to back (None),
    until they run out or the deadline passes; with ``threads`` > 1, that many senders at once (each its own
    connection and bodies), none waiting for a refused batch's Retry-After: an open-loop overload."""
    codes: dict[int, int] = {}
    counts = {"retry_after_missing": 0, "not_problem": 0}
    lock = threading.Lock()
    start = time.monotonic()

    def send(sender: int) -> None:
        payloads = lazy_bodies(tag, client * threads + sender, batches)
        with httpx.Client(base_url=base, auth=(key, ""), timeout=60,
                          headers={"Content-Type": "application/json"}) as h:
            for n, body in enumerate(payloads):
                if interval is not None:
                    wait = start + n * interval - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                if time.monotonic() > deadline:
                    break
                try:
                    response = h.post("/v1/batch", content=body)
                    status = response.status_code
                    with lock:
                        if status in (429, 503) and "retry-after" not in response.headers:
                            counts["retry_after_missing"] += 1
                        if status != 200 and response.headers.get("content-type") != "application/problem+json":
                            counts["not_problem"] += 1
                except httpx.TransportError:
                    status = -1
                with lock:
                    codes[status] = codes.get(status, 0) + 1

    senders = [threading.Thread(target=send, args=(i,)) for i in range(threads)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    results.put({"kind": "ingest", "codes": codes, **counts, "seconds": time.monotonic() - start})


def read_client(base: str, key: str, client: int, think: float, deadline: float, results: Any) -> None:
    latencies: dict[str, list[float]] = {r: [] for r in ROUTES}
    codes: dict[int, int] = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as h:
        n = client  # clients start at different routes
        while time.monotonic() < deadline:
            route = ROUTES[n % len(ROUTES)]
            n += 1
            t0 = time.perf_counter()
            try:
                status = h.get(route).status_code
            except httpx.TransportError:
                status = -1
            if status == 200:
                latencies[route].append((time.perf_counter() - t0) * 1000)
            codes[status] = codes.get(status, 0) + 1
            time.sleep(think)
    results.put({"kind": "read", "codes": codes, "latencies": latencies})


def _run(targets: list[tuple], seconds: float) -> list[dict]:
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=fn, args=(*args, results), kwargs=kwargs) for fn, args, *more in targets
             for kwargs in [more[0] if more else {}]]
    for p in procs:
        p.start()
    got = [results.get(timeout=seconds + 600) for _ in procs]
    for p in procs:
        p.join()
    return got


def _merge(results: list[dict], kind: str) -> dict[int, int]:
    codes: dict[int, int] = {}
    for r in results:
        if r["kind"] == kind:
            for status, count in r["codes"].items():
                codes[status] = codes.get(status, 0) + count
    return codes


def _slope_mib_per_min(samples: list[tuple[float, float]]) -> float:
    xs, ys = [t / 60 for t, _ in samples], [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between one reader's requests")
    parser.add_argument("--share", type=float, default=0.5, help="sustained ingestion as a share of the maximum")
    parser.add_argument("--overload-senders", type=int, default=96,
                        help="concurrent senders of the overload phase (12 processes; more than the server's "
                             "collector_max_inflight_requests, 64 by default)")
    parser.add_argument("--memory", action="store_true",
                        help="serve bench/memory_app.py and sample /bench/memory every 30 s (DuckDB, Python heap)")
    parser.add_argument("--tracemalloc", action="store_true", help="with --memory: PYTHONTRACEMALLOC=1 (slower)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    server_cmd = [sys.executable, str(ROOT / "memory_app.py")] if args.memory else SERVER_CMD
    if args.tracemalloc:
        os.environ["PYTHONTRACEMALLOC"] = "1"

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    data_dir = ROOT / "out" / f"load-{stamp}"
    subprocess.run([str(BIN / "growthos"), "--data-dir", str(data_dir), "demo", "--no-serve"], check=True,
                   stdout=subprocess.DEVNULL)
    ingest_key = _cli(data_dir, "keys", "create", "--scope", "ingest", "--name", "load").splitlines()[-1]
    read_key = _cli(data_dir, "keys", "create", "--scope", "read", "--name", "load").splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_server(server_cmd + ["--data-dir", str(data_dir), "serve", "--port", str(port)], port) as server:
        # 1. the maximum
        max_s = 15.0
        end = time.monotonic() + max_s
        got = _run([(ingest_client, (base, ingest_key, f"max-{stamp}", c, 100_000, None, end)) for c in range(4)],
                   max_s)
        max_codes = _merge(got, "ingest")
        max_rate = max_codes.get(200, 0) * BATCH / max(r["seconds"] for r in got)
        print(f"maximum: {max_rate:,.0f} acknowledged events/s ({max_codes})", flush=True)

        # 2. sustained: 50% of the maximum from 2 clients, plus readers; memory sampled meanwhile
        seconds = args.minutes * 60
        target_rate = max_rate * args.share
        interval = 2 * BATCH / target_rate if target_rate else seconds * 2  # each of the 2 clients' share
        batches = int(seconds / interval) + 2
        end = time.monotonic() + seconds
        ctx = mp.get_context("fork")
        results = ctx.Queue()
        procs = [ctx.Process(target=ingest_client, args=(base, ingest_key, f"load-{stamp}", c, batches, interval,
                                                        end, results)) for c in range(2)]
        procs += [ctx.Process(target=read_client, args=(base, read_key, c, args.think, end, results))
                  for c in range(args.readers)]
        memory: list[tuple[float, float]] = []
        probes: list[tuple[float, dict]] = []
        start = time.monotonic()
        for p in procs:
            p.start()
        next_probe = start
        while time.monotonic() < end:
            memory.append((time.monotonic() - start, _rss_mib(server.pid)))
            if args.memory and time.monotonic() >= next_probe:
                next_probe += 30
                try:
                    probes.append((time.monotonic() - start, httpx.get(f"{base}/bench/memory", timeout=60).json()))
                except httpx.HTTPError as exc:
                    print(f"memory probe failed: {exc}", flush=True)
            time.sleep(2)
        sustained = [results.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        ingest_codes, read_codes = _merge(sustained, "ingest"), _merge(sustained, "read")
        ingest_seconds = max(r["seconds"] for r in sustained if r["kind"] == "ingest")
        achieved = ingest_codes.get(200, 0) * BATCH / ingest_seconds
        latencies: dict[str, list[float]] = {r: [] for r in ROUTES}
        for r in sustained:
            if r["kind"] == "read":
                for route, values in r["latencies"].items():
                    latencies[route] += values

        # 3. overload
        over_s = 10.0
        end = time.monotonic() + over_s
        per_process = max(1, args.overload_senders // 12)
        overload = _run([(ingest_client, (base, ingest_key, f"over-{stamp}", c, 100_000, None, end),
                          {"threads": per_process}) for c in range(12)], over_s)
        over_codes = _merge(overload, "ingest")
        missing_retry_after = sum(r["retry_after_missing"] for r in overload + sustained if r["kind"] == "ingest")
        not_problem = sum(r["not_problem"] for r in overload + sustained if r["kind"] == "ingest")

    import duckdb

    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    stored = {}
    for tag in ("max", "load", "over"):
        stored[tag] = con.execute("SELECT count(*), count(DISTINCT message_id) FROM events WHERE message_id LIKE ?",
                                  [f"ajs-next-{tag}-{stamp}-%"]).fetchone()
    con.close()
    acked = {"max": max_codes.get(200, 0) * BATCH, "load": ingest_codes.get(200, 0) * BATCH,
             "over": over_codes.get(200, 0) * BATCH}

    def errors(codes: dict[int, int], allowed: tuple[int, ...]) -> int:
        return sum(n for s, n in codes.items() if s not in allowed)

    mem_first = [m for t, m in memory if t <= 60]
    mem_last = [m for t, m in memory if t >= memory[-1][0] - 60]
    lines = [
        f"Maximum (4 clients, back to back, 15 s): **{max_rate:,.0f}** acknowledged events/s.",
        f"Sustained {args.minutes:g} min: ingestion scheduled at {target_rate:,.0f} events/s ({args.share:.0%}), "
        f"achieved {achieved:,.0f}; {args.readers} dashboard readers, {args.think:g} s think time.",
        "",
        "| phase | requests | answers by status | errors (not 200; 429/503 allowed in overload only) | "
        "events acked | stored | lost | duplicated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, tag, codes, allowed in (("maximum", "max", max_codes, (200,)),
                                       ("sustained ingest", "load", ingest_codes, (200,)),
                                       (f"overload ({per_process * 12} senders)", "over", over_codes, (200, 429, 503))):
        rows, distinct = stored[tag]
        lines.append(f"| {label} | {sum(codes.values()):,} | {dict(sorted(codes.items()))} | "
                     f"{errors(codes, allowed)} | {acked[tag]:,} | {distinct:,} | {max(acked[tag] - distinct, 0):,} | "
                     f"{rows - distinct} |")
    lines.append(f"| sustained reads | {sum(read_codes.values()):,} | {dict(sorted(read_codes.items()))} | "
                 f"{errors(read_codes, (200,))} | — | — | — | — |")
    lines += ["", f"429/503 answers without Retry-After: {missing_retry_after}; refusals without a problem body: "
              f"{not_problem}.", "",
              "| route (under load) | reads | p50 ms | p95 ms | target p95 | met |", "|---|---|---|---|---|---|"]
    for route, values in latencies.items():
        if len(values) < 2:
            lines.append(f"| `{route}` | {len(values)} | — | — | < {READ_TARGET_MS:g} ms | — |")
            continue
        p95 = statistics.quantiles(values, n=20, method="inclusive")[18]
        lines.append(f"| `{route}` | {len(values)} | {statistics.median(values):.1f} | {p95:.1f} | "
                     f"< {READ_TARGET_MS:g} ms | {'yes' if p95 < READ_TARGET_MS else 'NO'} |")
    lines += ["", f"Server memory (RSS): first minute mean {statistics.fmean(mem_first):,.0f} MiB, last minute mean "
              f"{statistics.fmean(mem_last):,.0f} MiB, peak {max(m for _, m in memory):,.0f} MiB, slope "
              f"{_slope_mib_per_min(memory):+.1f} MiB/min over {len(memory)} samples."]
    if probes:
        limit_set = probes[0][1]["duckdb_limit"]
        lines += ["", f"Where the memory is (bench/memory_app.py, DuckDB memory_limit {limit_set}):", "",
                  "| t s | RSS MiB | DuckDB MiB (largest tags) | Python traced MiB | Python objects | queued events |",
                  "|---|---|---|---|---|---|"]
        for t, probe in probes:
            top = ", ".join(f"{tag} {mib:,.0f}" for tag, mib in list(probe["duckdb_mib"].items())[:3])
            lines.append(f"| {t:.0f} | {probe['rss_mib']:,.0f} | {probe['duckdb_total_mib']:,.0f} ({top}) | "
                         f"{probe.get('traced_mib', '—')} | {probe['python_objects']:,} | "
                         f"{probe['collector']['queued_events']:,} |")
        grown = probes[-1][1].get("grown_since_first")
        if grown:
            lines += ["", "Python allocations grown most between the first and the last probe (tracemalloc):", ""]
            lines += [f"- {g['where']}: {g['kib']:+,} KiB, {g['blocks']:+,} blocks" for g in grown[:8]]
    section = "\n".join(lines) + "\n"
    print(section, flush=True)
    if not args.no_record:
        flags = (" --memory" if args.memory else "") + (" --tracemalloc" if args.tracemalloc else "")
        limit = os.environ.get("GROWTHOS_DUCKDB_MEMORY_LIMIT")
        env = f"GROWTHOS_DUCKDB_MEMORY_LIMIT={limit} " if limit else ""
        header = (f"### Sustained load — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
                  f"`{env}.venv/bin/python bench/load.py "
                  f"--minutes {args.minutes:g} --share {args.share:g} --readers {args.readers} --think {args.think:g}"
                  f"{flags}` "
                  f"on {os.cpu_count()} "
                  "cores; server, ingest clients and readers on the same machine (127.0.0.1), demo ×1 workspace.\n\n")
        with open(ROOT / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + header + section)


if __name__ == "__main__":
    main()
