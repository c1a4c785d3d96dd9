"""A 2xx means on disk: kill -9 a writing process at random moments, restart the writer on the same files
(it loads what the journal holds beyond the warehouse's position, as a restarted server does), and find
every acknowledged event exactly once (with its identity rows, written in the same transaction)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

from growthos.sources.collector import EventWriter
from growthos.warehouse.duckdb_engine import DuckDBEngine

CHILD = Path(__file__).with_name("collector_durability_child.py")
RUNS = 10


def run_and_kill(path: Path, journal: Path, tag: str, checkpoint: str, delay: float) -> list[str]:
    """Start a writing child, SIGKILL it ``delay`` s after it is ready; the ids it acknowledged."""
    proc = subprocess.Popen([sys.executable, str(CHILD), str(path), str(journal), tag, checkpoint],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = proc.stdout.readline()
        if ready == b"ready\n":
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    context = f"run {tag}: exit {proc.returncode}, stderr: {err.decode(errors='replace')[-3000:]}"
    assert ready == b"ready\n", context
    assert proc.returncode == -signal.SIGKILL, context
    acked = []
    for line in out.split(b"\n")[:-1]:  # the piece after the last newline may be cut short
        assert line.startswith(b"ack "), (line[:200], context)
        acked.extend(line[4:].decode().split())
    return acked


def test_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    journal = tmp_path / "collector-journal"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acked: list[str] = []
    per_run = []
    for run in range(RUNS):
        checkpoint = "64KB" if run % 2 else "16MB"
        got = run_and_kill(path, journal, f"r{run}", checkpoint, delay=rng.uniform(0.05, 0.6))
        per_run.append(len(got))
        acked.extend(got)

        engine = DuckDBEngine(path, memory_limit="256MB")  # replays DuckDB's write-ahead log
        try:
            EventWriter(engine, journal_dir=journal).start().close()  # loads the journal's backlog
            engine.register("acked", pa.table({"id": acked}))
            wrong = engine.query(
                "SELECT a.id, count(e.message_id) AS n FROM acked a LEFT JOIN events e ON e.message_id = a.id "
                "GROUP BY a.id HAVING count(e.message_id) <> 1 LIMIT 5"
            ).to_pylist()
            assert not wrong, f"seed {seed}, run {run}: acknowledged ids not stored exactly once: {wrong}"
            totals = engine.query(
                "SELECT count(*) AS n, count(DISTINCT message_id) AS d, "
                "count(*) FILTER (WHERE m.id IS NULL) AS no_identity "
                "FROM events e LEFT JOIN identity_map m ON m.id = e.distinct_id"
            ).to_pylist()[0]
            assert totals["n"] == totals["d"] >= len(acked), (seed, run, totals)
            assert totals["no_identity"] == 0, (seed, run, totals)
        finally:
            engine.close()
    assert len(set(acked)) == len(acked)
    assert sum(1 for n in per_run if n > 0) >= RUNS // 2, f"seed {seed}: too few acks to mean anything: {per_run}"
