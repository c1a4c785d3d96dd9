"""Large-data benchmark: DuckDB and Spark local on 1M/10M/100M events and on the ×1/×10/×100 demo.

    .venv/bin/python bench/scale.py [--events 1000000,10000000,100000000] [--demo 1,10,100]
                                    [--engines duckdb,spark] [--repeat 3] [--no-record]

Events: bench/queries.py's synthetic warehouse of n events (cached in bench/out/) answers the funnel (3 steps,
7-day window), weekly retention and daily trends through growthos.metrics.product, on the DuckDB file and on
the Spark engine (local[2]) over a lake exported from that file (the export is timed apart, once per size).
Demo: the demo's commerce records generated at scale s plus the recipe app's events copied s times under ids
of their own (cached in bench/out/), then the whole build (every model and the checks, as `growthos build`),
on a fresh copy each time; Spark's time is the export to the lake plus the build.

Each measurement runs in a process of its own; its peak memory is the highest resident size of that process
and everything it started (Spark's JVM included), sampled every 50 ms. The answers of the two engines are
compared (a digest of every answer) before anything is reported.

Physical reference, measured in the same run: the memory bandwidth of this machine (a sum over an array far
larger than the caches, 1 and 2 threads, the better kept), and from it the time to read the funnel's input
once: 17 bytes per event (8 for the timestamp, 1 for the event's code, 8 for the person), the least a columnar
scan of the funnel's three columns touches. Printed: time per size, the scaling exponent between sizes
(log of the time ratio over log of the size ratio: 1 is linear), peak memory, and each funnel time as a
multiple of that bound. Appended to bench/RESULTS.md unless --no-record.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
sys.path.insert(0, str(ROOT))

SPARK_MASTER = "local[2]"
SPARK_CONF = {
    "spark.driver.memory": "8g",  # local mode: the driver is the executor
    "spark.sql.shuffle.partitions": "16",  # adaptive execution coalesces them further
}
DUCKDB_THREADS = 2
FUNNEL_BYTES_PER_EVENT = 17
LARGE = 50_000_000
"""From this many events on, each question is timed once after its warm-up run."""


# ---------------------------------------------------------------- what each worker measures

def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _events_engine(name: str, n: int) -> tuple[Any, dict[str, float]]:
    """The engine answering on n events, and what it cost to set it up (seconds)."""
    from queries import warehouse

    duck = warehouse(n, DUCKDB_THREADS)
    if name == "duckdb":
        return duck, {}
    from growthos.warehouse.lake import Lake
    from growthos.warehouse.spark_engine import SparkEngine, spark_session

    setup: dict[str, float] = {}
    t0 = time.perf_counter()
    session = spark_session(SPARK_MASTER, SPARK_CONF)
    setup["jvm start"] = time.perf_counter() - t0
    lake_dir = OUT / f"lake-events-{n}"
    shutil.rmtree(lake_dir, ignore_errors=True)  # the whole export is timed, every run
    engine = SparkEngine(Lake.at(lake_dir), session)
    t0 = time.perf_counter()
    engine.before_build(duck)
    setup["export to lake"] = time.perf_counter() - t0
    duck.close()
    return engine, setup


def measure_events(name: str, n: int, repeat: int) -> dict[str, Any]:
    from queries import funnel_ours, retention_ours, trends_ours

    engine, setup = _events_engine(name, n)
    questions: dict[str, Callable] = {"funnel": funnel_ours, "retention": retention_ours, "trends": trends_ours}
    times, digests = {}, {}
    for question, ask in questions.items():
        runs = []
        for i in range(repeat + 1):  # the first run warms caches (and Spark's code generation) up
            t0 = time.perf_counter()
            answer = ask(engine)
            if i:
                runs.append(time.perf_counter() - t0)
        times[question] = statistics.median(runs)
        digests[question] = _digest(sorted(answer.items()) if isinstance(answer, dict) else answer)
    engine.close()
    return {"times": times, "setup": setup, "digests": digests}


def _demo_dir(scale: int) -> Path:
    return OUT / f"scale-demo-x{scale}"


def _demo_settings(data_dir: Path, engine: str):
    from growthos.config import load_settings
    from growthos.pipeline import demo_settings

    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    return demo_settings(base).model_copy(update={
        "app_db_url": base.app_db_url, "engine": engine, "scheduler_enabled": False,
        "duckdb_threads": DUCKDB_THREADS, "spark_master": SPARK_MASTER, "spark_conf": SPARK_CONF,
        "lake_path": str(data_dir / "lake")})


def measure_demo(name: str, scale: int, repeat: int) -> dict[str, Any]:
    """One build of the ×scale demo on a fresh copy of its prepared data directory."""
    from growthos.core.periods import DateRange
    from growthos.metrics.evaluate import summary
    from growthos.pipeline import build_and_check
    from growthos.workspace import Workspace

    run_dir = OUT / f"scale-run-{name}-x{scale}"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(_demo_dir(scale), run_dir)
    try:
        settings = _demo_settings(run_dir, name)
        times: dict[str, float] = {}
        with Workspace(settings) as ws:
            t0 = time.perf_counter()
            compute = ws.compute
            times["engine start"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            compute.before_build(ws.engine)  # DuckDB: nothing; Spark: the export to the lake
            times["export"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = build_and_check(ws)
            times["build"] = time.perf_counter() - t0
            failed = [c.name for c in result.checks if c.status not in ("pass", "warn")]
            last = ws.last_full_day
            answers = {
                "orders": ws.engine.query("SELECT count(*) AS n FROM fact_orders").column(0)[0].as_py(),
                "kpis": summary(ws.engine, DateRange(last.replace(day=1), last), last),
            }
        return {"times": times, "setup": {}, "digests": {"build": _digest(answers)}, "failed_checks": failed,
                "rows": answers["orders"]}
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


WORKERS: dict[str, Callable[[str, int, int], dict[str, Any]]] = {"events": measure_events, "demo": measure_demo}


# ---------------------------------------------------------------- preparing the demo data

def prepare_demo(scale: int) -> None:
    """The ×scale demo's data directory, unbuilt: commerce records at that scale and the ×1 app's events
    copied ``scale`` times (copy k under ids suffixed ~k)."""
    target = _demo_dir(scale)
    if (target / "READY").exists():
        return
    from growthos.pipeline import load_records
    from growthos.server.demo_events import send_demo_app_events
    from growthos.sources.collector.schema import ensure_events_tables
    from growthos.sources.demo import generate
    from growthos.workspace import Workspace

    if scale != 1:
        prepare_demo(1)
    t0 = time.perf_counter()
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    settings = _demo_settings(target, "duckdb")
    with Workspace(settings) as ws:
        load_records(ws, generate(scale=scale))
    if scale == 1:
        send_demo_app_events(settings)
    else:
        x1 = _demo_settings(_demo_dir(1), "duckdb")
        with Workspace(settings) as ws:
            ensure_events_tables(ws.engine)
            _copy_events(ws.engine, x1.warehouse_path, scale)
    (target / "READY").write_text(datetime.now(UTC).isoformat())
    print(f"prepared the x{scale} demo in {time.perf_counter() - t0:.0f} s -> {target}", flush=True)


def _copy_events(engine: Any, x1_path: Path, copies: int) -> None:
    tag = "CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '~' || k END"
    ids = {c: tag.format(c=c) for c in ("user_id", "anonymous_id", "distinct_id", "previous_id")}
    engine.execute(f"ATTACH '{x1_path}' AS x1 (READ_ONLY)")
    with engine.transaction():
        engine.execute(
            "INSERT INTO events SELECT unhex(md5(message_id || '~' || k)), message_id || '~' || k, type, event, "
            f"name, {ids['user_id']}, {ids['anonymous_id']}, {ids['distinct_id']}, group_id, {ids['previous_id']}, "
            '"timestamp", original_timestamp, sent_at, received_at, properties, context, traits, extra, source, '
            "ingest_seq * $copies + k FROM x1.events, range($copies) r(k)", {"copies": copies})
        engine.execute("INSERT INTO identity_map SELECT id || '~' || k, person_id || '~' || k, is_user, "
                       "first_seq * $copies + k FROM x1.identity_map, range($copies) r(k)", {"copies": copies})
    engine.execute("DETACH x1")


# ---------------------------------------------------------------- measuring from outside

def _tree_rss_bytes(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (read from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(p for p, parent in parents.items() if parent == pid)
    return total


def run_worker(kind: str, engine: str, size: int, repeat: int) -> dict[str, Any]:
    """One measurement in a fresh process: its result and the peak resident memory of its process tree."""
    spec = json.dumps({"kind": kind, "engine": engine, "size": size, "repeat": repeat})
    child = subprocess.Popen([sys.executable, __file__, "--worker", spec], stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(child.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{kind} on {engine} at {size:,} failed (exit {child.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_bytes"] = peak
    return result


def memory_bandwidth() -> float:
    """Bytes per second read by summing 1 GiB of int64 with 1 and with 2 threads (best of 3 each)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    data = np.ones(1 << 27, dtype=np.int64)  # 1 GiB, far beyond any cache
    best = 0.0
    for threads in (1, 2):
        parts = np.array_split(data, threads)
        with ThreadPoolExecutor(threads) as pool:
            for _ in range(3):
                t0 = time.perf_counter()
                list(pool.map(np.sum, parts))
                best = max(best, data.nbytes / (time.perf_counter() - t0))
    return best


# ---------------------------------------------------------------- the report

def _exponent(t_small: float, t_big: float, ratio: float) -> str:
    return f"{math.log(t_big / t_small) / math.log(ratio):.2f}" if t_small > 0 and t_big > 0 else "–"


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def report(results: dict[tuple[str, str, int], dict[str, Any]], bandwidth: float) -> tuple[list[str], bool]:
    lines, ok = [], True
    kinds = sorted({k for k, _, _ in results})
    for kind in ("events", "demo"):
        if kind not in kinds:
            continue
        sizes = sorted({s for k, _, s in results if k == kind})
        engines = [e for e in ("duckdb", "spark") if (kind, e, sizes[0]) in results]
        for size in sizes:
            digests = {e: results[(kind, e, size)]["digests"] for e in engines}
            if len({json.dumps(d, sort_keys=True) for d in digests.values()}) > 1:
                print(f"MISMATCH: the engines' answers differ on {kind} at {size:,}: {digests}", file=sys.stderr)
                ok = False
            for e in engines:
                if results[(kind, e, size)].get("failed_checks"):
                    print(f"FAILED checks on {e} ×{size}: {results[(kind, e, size)]['failed_checks']}",
                          file=sys.stderr)
                    ok = False
        if kind == "events":
            lines += ["| events | engine | funnel s | retention s | trends s | funnel ÷ bandwidth bound | "
                      "exponent (funnel) | peak MiB | set-up |", "|---|---|---|---|---|---|---|---|---|"]
        else:
            lines += ["| demo | engine | orders | build s | export s | engine start s | exponent (total) | "
                      "peak MiB |", "|---|---|---|---|---|---|---|---|"]
        for e in engines:
            previous = None
            for size in sizes:
                r = results[(kind, e, size)]
                t = r["times"]
                if kind == "events":
                    bound = size * FUNNEL_BYTES_PER_EVENT / bandwidth
                    exp = _exponent(previous[1]["funnel"], t["funnel"], size / previous[0]) if previous else "–"
                    setup = ", ".join(f"{k} {v:.1f} s" for k, v in r["setup"].items()) or "–"
                    lines.append(f"| {size:,} | {e} | {t['funnel']:.3f} | {t['retention']:.3f} | {t['trends']:.3f} "
                                 f"| {t['funnel'] / bound:,.0f}× | {exp} | {_mib(r['peak_bytes'])} | {setup} |")
                else:
                    total = t["export"] + t["build"]
                    exp = _exponent(previous[1], total, size / previous[0]) if previous else "–"
                    lines.append(f"| ×{size} | {e} | {r['rows']:,} | {t['build']:.1f} | {t['export']:.1f} | "
                                 f"{t['engine start']:.1f} | {exp} | {_mib(r['peak_bytes'])} |")
                previous = (size, t if kind == "events" else t["export"] + t["build"])
        lines.append("")
    return lines, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1000000,10000000,100000000", help="event counts, comma-separated")
    parser.add_argument("--demo", default="1,10,100", help="demo scales, comma-separated ('' for none)")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each question (after one warm-up)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        result = WORKERS[spec["kind"]](spec["engine"], spec["size"], spec["repeat"])
        print(json.dumps(result), flush=True)
        return

    engines = [e for e in args.engines.split(",") if e]
    plan = [("events", int(n)) for n in args.events.split(",") if n] + \
           [("demo", int(s)) for s in args.demo.split(",") if s]
    started = time.perf_counter()
    bandwidth = memory_bandwidth()
    print(f"memory bandwidth {bandwidth / 1e9:.1f} GB/s", flush=True)
    results: dict[tuple[str, str, int], dict[str, Any]] = {}
    for kind, size in plan:
        if kind == "events":
            from queries import warehouse

            warehouse(size, DUCKDB_THREADS).close()  # generated once, outside every measurement
        else:
            prepare_demo(size)
        for engine in engines:
            repeat = 1 if kind == "demo" or size >= LARGE else args.repeat
            results[(kind, engine, size)] = r = run_worker(kind, engine, size, repeat)
            print(f"{kind} {size:,} on {engine}: {json.dumps(r['times'])} setup {json.dumps(r['setup'])} "
                  f"peak {_mib(r['peak_bytes'])} MiB", flush=True)
    lines, ok = report(results, bandwidth)
    print("\n".join(lines))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "`.venv/bin/python bench/scale.py " + " ".join(sys.argv[1:]) + "`"
    section = (f"\n### Scale: DuckDB and Spark local — {stamp}\n\n{command}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}, DuckDB {DUCKDB_THREADS} threads, Spark {SPARK_MASTER} "
               f"({', '.join(f'{k}={v}' for k, v in SPARK_CONF.items())}); whole run "
               f"{(time.perf_counter() - started) / 60:.0f} min. Memory bandwidth {bandwidth / 1e9:.1f} GB/s "
               f"(the funnel's bound: {FUNNEL_BYTES_PER_EVENT} B per event at that rate). Event questions: medians "
               f"of {args.repeat} runs after a warm-up (one run from {LARGE:,} events on); the engines' answers were "
               "compared equal first.\n\n"
               + "\n".join(lines))
    if ok and not args.no_record:
        with (ROOT / "RESULTS.md").open("a") as out:
            out.write(section)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
