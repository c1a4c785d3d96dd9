"""Crash test of the collector: ``kill -9`` the real server process during a sustained ingest, 20 times in a
row; after each kill the collector is started again on the same files as the restarted server starts it
(DuckDB replays its write-ahead log; the writer loads what its journal holds beyond the warehouse's
position) and every event that got a 2xx must be there exactly once. The next round's server then starts
on those same files; after the last round the server itself is restarted and stopped cleanly, and the
check runs once more."""

from __future__ import annotations

import base64
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from growthos.config import load_settings
from growthos.sources.collector import EventWriter
from growthos.store import AppStore
from growthos.warehouse.duckdb_engine import DuckDBEngine

ROUNDS = 20
CLIENTS = 4
BATCH = 20
GROWTHOS = Path(sys.executable).parent / "growthos"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([str(GROWTHOS), "--data-dir", str(data_dir), "serve", "--port", str(port)],
                                stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code in (200, 503):
                return proc, url
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)


def _ingest(url: str, key: str, run: int, client: int, acked: list[str], refused: list[str],
            stop: threading.Event) -> None:
    """Post batches until the server dies; record the message ids of every 2xx answer."""
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    n = 0
    with httpx.Client(base_url=url, headers=auth, timeout=10) as http:
        while not stop.is_set():
            ids = [f"r{run}-c{client}-{n + i}" for i in range(BATCH)]
            batch = [{"type": "track", "event": "Crash Test", "userId": f"user-{client}-{(n + i) % 7}",
                      "anonymousId": f"anon-{run}-{client}-{(n + i) % 5}", "messageId": m, "properties": {"i": i}}
                     for i, m in enumerate(ids)]
            try:
                response = http.post("/v1/batch", json={"batch": batch})
            except httpx.TransportError:
                return
            if response.status_code == 200:
                acked.extend(ids)
            else:
                refused.append(f"{response.status_code} {response.text[:200]}")
            n += BATCH


def _stored_counts(data_dir: Path, *, recover: bool = True) -> dict[str, int]:
    engine = DuckDBEngine(data_dir / "warehouse.duckdb", memory_limit="512MB")
    try:
        if recover:
            EventWriter(engine, journal_dir=data_dir / "collector-journal").start().close()
        rows = engine.query("SELECT message_id, count(*) AS n FROM events GROUP BY message_id").to_pylist()
        orphans = engine.query(
            "SELECT count(*) AS n FROM events e LEFT JOIN identity_map m ON m.id = e.distinct_id WHERE m.id IS NULL"
        ).column("n")[0].as_py()
    finally:
        engine.close()
    assert orphans == 0, "events whose ids are missing from identity_map"
    return {r["message_id"]: r["n"] for r in rows}


def test_every_acknowledged_event_survives_kill_9_exactly_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    with AppStore.from_settings(settings) as store:
        _key, secret = store.create_api_key("crash test", "ingest")
    rng = random.Random(20261122)
    all_acked: list[str] = []
    for run in range(ROUNDS):
        proc, url = _start_server(data_dir, tmp_path / "server.log")
        acked: list[str] = []
        refused: list[str] = []
        stop = threading.Event()
        clients = [threading.Thread(target=_ingest, args=(url, secret, run, c, acked, refused, stop))
                   for c in range(CLIENTS)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 30
        while not acked and time.monotonic() < deadline:  # the ingest is under way...
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.8))  # ...then the kill comes at a random moment of it
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
        assert acked, f"round {run}: nothing acknowledged; refused: {refused[:3]}"
        all_acked.extend(acked)

        counts = _stored_counts(data_dir)
        missing = [m for m in all_acked if m not in counts]
        assert not missing, f"round {run}: {len(missing)} acknowledged events lost, e.g. {missing[:3]}"
        assert set(counts.values()) == {1}
    assert len(set(all_acked)) == len(all_acked)

    proc, _url = _start_server(data_dir, tmp_path / "server.log")  # a real restart, then a clean stop
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    counts = _stored_counts(data_dir, recover=False)
    assert set(all_acked) <= set(counts) and set(counts.values()) == {1}
