"""The server's two writer threads share the warehouse: a build runs while events are being collected,
and neither waits for nor breaks the other."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from growthos.config import load_settings
from growthos.pipeline import demo_settings, load_records
from growthos.server.state import ServerState
from growthos.sources.collector import Event
from growthos.sources.demo import generate
from growthos.workspace import Workspace


def test_a_build_and_event_ingestion_run_side_by_side(tmp_path):
    settings = demo_settings(load_settings(data_dir=tmp_path / "data"))
    with Workspace(settings) as ws:
        load_records(ws, generate(scale=0.05))
    before = set(threading.enumerate())
    state = ServerState(Workspace(settings))
    state.start()
    try:
        build = state.start_build()
        sent = 0
        at = datetime(2026, 2, 1, tzinfo=UTC)
        while not build.done():  # keep ingesting for as long as the build runs
            batch = [Event(message_id=f"m{sent + i}", type="track", event="Tick", user_id=f"u{i % 3}",
                           timestamp=at, received_at=at) for i in range(50)]
            assert state.collector.submit(batch).accepted == 50
            sent += 50
        summary = build.result(timeout=120)
        assert summary["failed_checks"] == []
        assert sent >= 50, "the build ended before any event was sent: nothing ran side by side"
        with state.reader() as engine:
            assert engine.query("SELECT count(*) AS n FROM events").column("n")[0].as_py() == sent
            assert engine.query("SELECT count(*) AS n FROM fact_orders").column("n")[0].as_py() > 0
    finally:
        state.close()
    # The server's own threads end with it; the KPI query pool (metrics/queries.py) is the process's, kept on
    # purpose, and starts its threads on first use — by this test when it runs alone.
    left = [t.name for t in set(threading.enumerate()) - before
            if t.name.startswith("growthos-") and not t.name.startswith("growthos-kpi")]
    assert left == []
