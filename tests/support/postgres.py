"""A real PostgreSQL server for tests, started from the Debian packages (no mocks, no Docker).

``initdb`` into a temporary directory, ``pg_ctl start`` on a free 127.0.0.1 port with unix sockets in
that directory, trust authentication, fsync off. As root (PostgreSQL refuses to run as root) the
server runs as the ``postgres`` OS user created by Debian's package. One server is shared by every
fixture in the session (reference-counted); each test gets its own database.

Debian packages: ``postgresql`` (which pulls in ``postgresql-15`` on bookworm) provides
/usr/lib/postgresql/<version>/bin/{initdb,pg_ctl,postgres}. Needs PostgreSQL 13 or later.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "growthos"
SESSION_DATABASE = "growthos_test"
SERVER_TIMEZONE = "America/New_York"
"""Deliberately not UTC: the store must hand back UTC whatever the server's time zone."""
RUN_AS = "postgres"
"""OS user that runs the server when the tests run as root."""


class PostgresUnavailable(Exception):
    """The PostgreSQL server binaries (or, as root, the postgres OS user) are not installed."""


def find_bin_dir() -> Path:
    """Directory holding initdb and pg_ctl: the highest /usr/lib/postgresql/<v>/bin, else from PATH."""
    candidates = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda bin_dir: _version_key(bin_dir.parent.name),
        reverse=True,
    )
    for bin_dir in candidates:
        if (bin_dir / "pg_ctl").exists() and (bin_dir / "postgres").exists():
            return bin_dir
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # /usr/local/bin/pg_ctl may be a symlink (or Debian's pg_wrapper); use the real binaries' dir.
        real = Path(os.path.realpath(initdb)).parent
        if (real / "pg_ctl").exists() and (real / "postgres").exists():
            return real
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb, no initdb and pg_ctl on PATH); "
        "install the Debian package 'postgresql' (make system-deps)"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throw-away server; ``url(db)`` gives SQLAlchemy URLs for its databases."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str = SESSION_DATABASE) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True, connect_timeout=10
        )

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a unique name unless given); returns its name."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        with self.connect() as conn:
            # FILE_COPY (PostgreSQL 15+) skips writing the template through the WAL: faster here.
            strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE template0" + strategy)
            conn.execute(statement.format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting anyone still connected to it."""
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Stop the server and delete its files (idempotent)."""
        if not self.base_dir.exists():
            return
        try:
            pg_ctl = str(self.bin_dir / "pg_ctl")
            _run(self, [pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"], check=False)
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def start_server(attempts: int = 3) -> PostgresServer:
    """initdb and start a server; raises PostgresUnavailable or RuntimeError (with the server log)."""
    bin_dir = find_bin_dir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError as exc:
            raise PostgresUnavailable(
                f"running as root and there is no '{RUN_AS}' OS user to run PostgreSQL as "
                "(the Debian package 'postgresql' creates it)"
            ) from exc
        run_as = RUN_AS
    base_dir = Path(tempfile.mkdtemp(prefix="growthos-pg-", dir=_parent_dir(run_as)))
    if run_as:
        user = pwd.getpwnam(run_as)
        os.chown(base_dir, user.pw_uid, user.pw_gid)
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=0, run_as=run_as)
    try:
        _run(server, [
            str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        ])
        for attempt in range(attempts):
            server.port = _free_port()
            options = (
                f"-p {server.port} -h 127.0.0.1 -k {shlex.quote(str(base_dir))} -F "
                f"-c synchronous_commit=off -c full_page_writes=off -c timezone={SERVER_TIMEZONE} "
                "-c max_connections=200"
            )
            result = _run(server, [
                str(bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-l", str(server.log_file),
                "-o", options, "-w", "-t", "60", "start",
            ], check=False)
            if result.returncode == 0:
                break
            if attempt == attempts - 1:  # a port taken between probing and binding is worth a retry
                raise RuntimeError(
                    f"pg_ctl start failed ({result.returncode}): {result.stderr.strip()}\n{server.log_tail()}"
                )
        server.create_database(SESSION_DATABASE)
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)  # if the process ends without the fixture's teardown
    return server


def _parent_dir(run_as: str | None) -> str | None:
    """Where to put the server: RAM (/dev/shm) when there is room, as CREATE DATABASE copies ~300
    files and measured 5-10x faster there; else /tmp as root (the server user must be able to reach
    it, which a private TMPDIR may not allow), else the default temporary directory."""
    shm = "/dev/shm"
    try:
        stat = os.statvfs(shm)
        if os.path.isdir(shm) and os.access(shm, os.W_OK) and stat.f_bavail * stat.f_frsize > 1 << 30:
            return shm
    except OSError:
        pass
    return "/tmp" if run_as else None


def _run(server: PostgresServer, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    if server.run_as:
        argv = ["runuser", "-u", server.run_as, "--", *argv] if shutil.which("runuser") else [
            "su", server.run_as, "-s", "/bin/sh", "-c", shlex.join(argv)
        ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=server.base_dir, timeout=120)
    if check and result.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


class _Shared:
    """One server per process, however many fixture definitions (root and sub-conftests) ask for it."""

    lock = threading.Lock()
    server: PostgresServer | None = None
    users = 0


def acquire_server() -> PostgresServer:
    with _Shared.lock:
        if _Shared.server is None:
            _Shared.server = start_server()
        _Shared.users += 1
        return _Shared.server


def release_server() -> None:
    with _Shared.lock:
        _Shared.users -= 1
        if _Shared.users == 0 and _Shared.server is not None:
            server, _Shared.server = _Shared.server, None
            server.stop()
