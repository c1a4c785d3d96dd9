"""What the benches share to run a server in its own process: a free port, and a context manager that starts it,
waits until /api/health answers 200 and stops it afterwards."""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(argv: list[str], port: int, *, log_path: Path | None = None, cwd: Path | None = None,
                   stop_signal: int = signal.SIGTERM, startup_s: float = 60.0,
                   stop_s: float = 120.0) -> Iterator[subprocess.Popen]:
    """``argv`` (a server listening on ``port`` of 127.0.0.1) started and ready; stopped with ``stop_signal``
    when the block ends (killed if it has not exited ``stop_s`` later: it loads its backlog first). Its log goes
    to ``log_path`` (else a temporary file): a file, not a pipe, as an unread pipe fills up and blocks it."""
    log: IO[bytes] = open(log_path, "wb") if log_path is not None else tempfile.TemporaryFile()  # noqa: SIM115
    try:
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log, cwd=cwd)
        try:
            deadline = time.monotonic() + startup_s
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    log.flush()
                    log.seek(0)
                    raise SystemExit(f"server did not start: {log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.1)
            yield server
        finally:
            if server.poll() is None:
                server.send_signal(stop_signal)
            try:
                server.wait(stop_s)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        log.close()
