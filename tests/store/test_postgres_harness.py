"""The PostgreSQL test harness itself: a real server, one fresh database per test, not UTC."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy.engine import make_url
from support.postgres import SERVER_TIMEZONE, SESSION_DATABASE

pytestmark = pytest.mark.postgres


def _connect(url: str) -> psycopg.Connection:
    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True)


def test_session_database_is_reachable(postgres_url: str) -> None:
    assert make_url(postgres_url).database == SESSION_DATABASE
    with _connect(postgres_url) as conn:
        assert conn.execute("SELECT current_setting('server_version_num')::int").fetchone()[0] >= 130000
        # The harness runs the server outside UTC, so the store's UTC conversion is really exercised.
        assert conn.execute("SHOW timezone").fetchone()[0] == SERVER_TIMEZONE


def test_fresh_databases_are_distinct_and_empty(postgres_server, fresh_postgres_url: str) -> None:
    other = postgres_server.create_database()
    try:
        assert other != make_url(fresh_postgres_url).database
        with _connect(fresh_postgres_url) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        assert tables == 0
    finally:
        postgres_server.drop_database(other)


@pytest.mark.skipif(os.geteuid() != 0, reason="only as root does the server run as another user")
def test_server_runs_as_the_postgres_user_when_root(postgres_server) -> None:
    assert postgres_server.run_as == "postgres"
    assert postgres_server.data_dir.stat().st_uid != 0
