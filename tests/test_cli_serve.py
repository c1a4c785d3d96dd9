"""`growthos serve` as a process: on a damaged warehouse or journal it exits with one line naming the file and
pointing at `growthos doctor` (exit code 2, no traceback); on a healthy workspace it serves until SIGTERM and
then closes the warehouse cleanly; a port in use is uvicorn's one line."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_backup import small_workspace


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_workspace(tmp_path_factory.mktemp("cli-serve-ws") / "data").data_dir


@pytest.fixture
def data_dir(healthy: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(healthy, copy)
    return copy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROWTHOS_")}
    return subprocess.Popen([sys.executable, "-c", "from growthos.cli import app; app()", "--data-dir",
                             str(data_dir), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _refused(data_dir: Path) -> tuple[int, str]:
    proc = _serve(data_dir, _free_port())
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


@pytest.mark.parametrize("damage", ["not DuckDB", "truncated"])
def test_serve_on_a_damaged_warehouse_exits_with_one_line_pointing_at_doctor(data_dir, damage):
    path = data_dir / "warehouse.duckdb"
    if damage == "not DuckDB":
        path.write_bytes(b"garbage" * 4096)
    else:
        os.truncate(path, 16 * 1024)
    code, output = _refused(data_dir)
    assert code == 2, output
    assert "Traceback" not in output and "Application startup failed" not in output
    assert output.startswith("error (warehouse): ") or "\nerror (warehouse): " in output, output
    assert str(path) in output and "growthos doctor" in output and "growthos restore" in output


def test_serve_on_a_damaged_journal_exits_with_one_line_naming_it(data_dir):
    segments = sorted((data_dir / "collector-journal").glob("*.seg"))
    assert segments
    # A second, later segment whose predecessor does not end where it starts: acknowledged data is missing.
    (data_dir / "collector-journal" / f"{10**12:020d}.seg").write_bytes(bytes(1024))
    code, output = _refused(data_dir)
    assert code == 2, output
    assert "Traceback" not in output
    assert "error: " in output and "segment" in output and segments[0].name in output, output


def test_serve_runs_until_sigterm_then_closes_the_warehouse(data_dir):
    import duckdb

    port = _free_port()
    proc = _serve(data_dir, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, -signal.SIGTERM), out + err  # uvicorn re-raises SIGTERM after its shutdown
    assert "Traceback" not in err
    assert not (data_dir / "warehouse.duckdb.wal").exists()  # closed cleanly: DuckDB checkpointed on close
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))  # no other process holds it any more
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    con.close()


def test_serve_on_a_port_in_use_exits_with_uvicorns_message_and_no_traceback(data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = _serve(data_dir, taken.getsockname()[1])
        out, err = proc.communicate(timeout=120)  # the state opened before uvicorn does not keep it alive
    assert proc.returncode != 0 and "address already in use" in err.lower(), out + err
    assert "Traceback" not in err
