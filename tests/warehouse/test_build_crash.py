"""kill -9 during a build: the previous marts stay intact (the build is one transaction, and DuckDB's WAL holds
only committed work), the killed job is recorded as interrupted by the next process to open the warehouse, and
the next build succeeds and includes what the killed one would have added. Kills land at chosen models (the
child waits for the go-ahead after each) and at random moments of a free-running build."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.shopify import order

from growthos.config import Settings, load_settings
from growthos.pipeline import build_and_check, load_records
from growthos.sources.demo import generate
from growthos.store.jobs import INTERRUPTED
from growthos.warehouse.models import load_models
from growthos.warehouse.raw import ingest
from growthos.workspace import Workspace

CHILD = Path(__file__).with_name("build_crash_child.py")
MARTS = ("fact_orders", "fact_spend", "fact_traffic", "dim_customer", "dim_campaign", "dim_channel", "cohorts")


def _fingerprint(ws: Workspace) -> dict[str, tuple[int, int]]:
    """Rows and an order-independent hash of every mart's rows."""
    out = {}
    for mart in MARTS:
        row = ws.engine.query(f"SELECT count(*) AS n, coalesce(sum(hash(t) % 1000000007), 0) AS h FROM {mart} t")
        out[mart] = (row.column("n")[0].as_py(), int(row.column("h")[0].as_py()))
    return out


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data_dir = tmp_path / "data"
    s = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    with Workspace(s) as ws:
        load_records(ws, generate())
        build_and_check(ws)
    return s


def _start(settings: Settings, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, str(CHILD), str(settings.data_dir), settings.app_db_url, mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _check_after_kill(settings: Settings, before: dict) -> None:
    with Workspace(settings) as ws:
        assert _fingerprint(ws) == before
        latest = ws.store.last_job("build", None)
        assert latest.status == "failed" and latest.error == INTERRUPTED


def test_killed_builds_leave_the_previous_marts_and_the_next_build_succeeds(settings):
    with Workspace(settings) as ws:
        before = _fingerprint(ws)
        # A new order the killed builds would have added: a committed build must show it, a killed one must not.
        ingest(ws.engine, [order(990_001, "2026-02-08T15:00:00Z", 990_001, [("Meal Kits", 1, "55.00", "0")])])
    models = [m.name for m in load_models()]
    for stop_after in (1, len(models) // 2, len(models) - 1):
        proc = _start(settings, "step")
        for built in range(1, stop_after + 1):
            assert proc.stdout.readline().startswith("model "), proc.stderr.read()
            if built < stop_after:
                proc.stdin.write("\n")
                proc.stdin.flush()
        _kill(proc)  # with `stop_after` models built inside the open transaction
        _check_after_kill(settings, before)

    rng = random.Random(7)
    observed = []  # a free-running build may commit just before the kill: then its marts are the new ones
    for _ in range(3):
        proc = _start(settings, "free")
        proc.stdout.readline()  # the first model is built: the transaction is open
        time.sleep(rng.uniform(0, 0.3))
        if proc.poll() is None:
            _kill(proc)
        with Workspace(settings) as ws:
            observed.append(_fingerprint(ws))
            assert ws.store.last_job("build", None).status in ("failed", "succeeded")

    with Workspace(settings) as ws:
        build_and_check(ws)
        after = _fingerprint(ws)
        assert ws.store.last_job("build", None).status == "succeeded"
    assert after["fact_orders"][0] == before["fact_orders"][0] + 1
    assert all(seen in (before, after) for seen in observed)
