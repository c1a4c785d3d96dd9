"""Database-query instrumentation on a real SQLite file and a real PostgreSQL server: one record per statement
with its fingerprint, duration, rows, slow flag, system, operation and error; failures still reach the app
and telemetry failures never do; the result cache's hits, misses, TTL, invalidation and thread safety; and
end to end into a real GrowthOS server's warehouse."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.server import empty_server

from growthos.telemetry.db import instrument, instrumentation_of, uninstrument
from growthos.telemetry.query_cache import QueryCache, cached_query


class Collector:
    """A sender that keeps what it is given."""

    def __init__(self) -> None:
        self.items: list[dict] = []
        self.lock = threading.Lock()

    def record(self, item: dict) -> None:
        with self.lock:
            self.items.append(item)

    def matching(self, fingerprint: str) -> list[dict]:
        return [i for i in self.items if i["fingerprint"] == fingerprint]


class Ticks:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 1000.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class Manual:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    eng = sa.create_engine(url)
    with eng.begin() as conn:  # the dialect's own first-connect queries happen before any test instruments
        conn.execute(sa.text("CREATE TABLE recipes (id INTEGER PRIMARY KEY, title VARCHAR(100), minutes INTEGER)"))
    yield eng
    uninstrument(eng)
    eng.dispose()


def test_each_statement_is_recorded(engine) -> None:
    sent = Collector()
    instrument(engine, sender=sent, endpoint=lambda: "/recipes")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO recipes (id, title, minutes) VALUES (:id, :title, :minutes)"),
                     [{"id": i, "title": f"dish {i}", "minutes": 10 * i} for i in range(1, 6)])
        conn.execute(sa.text("UPDATE recipes SET minutes = minutes + 1 WHERE minutes >= 30"))
        titles = conn.execute(sa.text("SELECT title FROM recipes WHERE minutes > :m ORDER BY id"), {"m": 25}).all()
        conn.exec_driver_sql("SELECT count(*) FROM recipes WHERE title = 'dish 1'")
    assert [t for (t,) in titles] == ["dish 3", "dish 4", "dish 5"]

    system = engine.dialect.name
    insert = sent.matching("INSERT INTO recipes(id, title, minutes) VALUES (?, ?, ?)")
    update = sent.matching("UPDATE recipes SET minutes = minutes + ? WHERE minutes >= ?")
    select = sent.matching("SELECT title FROM recipes WHERE minutes > ? ORDER BY id")
    count = sent.matching("SELECT COUNT(*) FROM recipes WHERE title = ?")
    assert len(update) == len(select) == len(count) == 1
    assert sum(r.get("rows", 0) for r in insert) == 5  # one executemany, or one per row: 5 rows either way
    assert update[0]["rows"] == 3 and update[0]["operation"] == "UPDATE"
    # SELECT rows: psycopg reports the result's size at execute time; sqlite3 reports -1 (not known yet)
    assert select[0].get("rows") == (3 if system == "postgresql" else None)
    for record in insert + update + select + count:
        assert record["system"] == system and record["endpoint"] == "/recipes"
        assert record["cached"] is False and record["slow"] is False and "error_type" not in record
        assert 0 <= record["duration_ms"] < 1000
        assert record["timestamp"] > 1.7e12  # epoch milliseconds
    assert {r["operation"] for r in select + count} == {"SELECT"}


def test_slow_queries_by_threshold_with_an_injected_clock(engine) -> None:
    sent = Collector()
    instrument(engine, sender=sent, slow_ms=500, clock=Ticks(0.6))  # every statement "takes" 600 ms
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM recipes"))
    [record] = sent.matching("SELECT * FROM recipes")
    assert record["duration_ms"] == pytest.approx(600.0) and record["slow"] is True
    uninstrument(engine)
    instrument(engine, sender=sent, slow_ms=601, clock=Ticks(0.6))
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM recipes"))
    assert sent.matching("SELECT * FROM recipes")[-1]["slow"] is False


@pytest.mark.postgres
def test_a_really_slow_postgres_query(fresh_postgres_url) -> None:
    eng = sa.create_engine(fresh_postgres_url)
    eng.connect().close()
    sent = Collector()
    instrument(eng, sender=sent, slow_ms=40)
    try:
        with eng.connect() as conn:
            conn.execute(sa.text("SELECT pg_sleep(0.06)"))
            conn.execute(sa.text("SELECT 1"))
    finally:
        uninstrument(eng)
        eng.dispose()
    [sleepy] = sent.matching("SELECT pg_sleep(?)")
    [quick] = sent.matching("SELECT ?")
    assert sleepy["duration_ms"] >= 60 and sleepy["slow"] is True
    assert quick["duration_ms"] < 40 and quick["slow"] is False


def test_errors_are_recorded_and_reraised(engine) -> None:
    sent = Collector()
    instrument(engine, sender=sent)
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as caught:
        conn.execute(sa.text("SELECT * FROM no_such_table WHERE id = 7"))
    [record] = sent.matching("SELECT * FROM no_such_table WHERE id = ?")
    assert record["error_type"] == type(caught.value.orig).__name__
    assert record["error_type"] == ("UndefinedTable" if engine.dialect.name == "postgresql" else "OperationalError")
    assert "rows" not in record and record["duration_ms"] >= 0


def test_telemetry_failures_never_break_the_query(engine) -> None:
    class Broken:
        def record(self, item: dict) -> None:
            raise RuntimeError("the sender is down")

    def endpoint() -> str:
        raise LookupError("no request")

    inst = instrument(engine, sender=Broken(), endpoint=endpoint)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM recipes")).scalar() == 0
    assert inst.stats.errors >= 1 and inst.stats.recorded == 0


def test_uninstrument_stops_recording_and_double_instrumenting_is_refused(engine) -> None:
    sent = Collector()
    instrument(engine, sender=sent)
    with pytest.raises(ValueError, match="instrumented already"):
        instrument(engine, sender=sent)
    uninstrument(engine)
    assert instrumentation_of(engine) is None
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert sent.items == []


def test_the_result_cache_hits_misses_and_expires(engine) -> None:
    clock = Manual()
    cache = QueryCache(ttl_s=300, max_entries=1000, clock=clock)
    sent = Collector()
    instrument(engine, sender=sent, result_cache=cache)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO recipes VALUES (1, 'soup', 20), (2, 'salad', 5)"))
    query = "SELECT id, title FROM recipes WHERE minutes < :m ORDER BY id"
    with engine.connect() as conn:
        first = cached_query(conn, query, {"m": 30})
        second = cached_query(conn, query, {"m": 30})
        other = cached_query(conn, query, {"m": 10})  # other parameters: another entry
        clock.now = 299.9
        third = cached_query(conn, query, {"m": 30})
        clock.now = 300.1  # 300 s after it was stored: expired
        fourth = cached_query(conn, query, {"m": 30})
    assert [tuple(r) for r in first] == [(1, "soup"), (2, "salad")] == [tuple(r) for r in fourth]
    assert second == first == third and [tuple(r) for r in other] == [(2, "salad")]
    assert (cache.stats.hits, cache.stats.misses, cache.stats.expired) == (2, 3, 1)
    shape = "SELECT id, title FROM recipes WHERE minutes < ? ORDER BY id"
    records = sent.matching(shape)
    assert [r["cached"] for r in records] == [False, True, False, True, False]
    assert all(r["rows"] == 2 for r in records if r["cached"])


def test_writes_and_invalidate_drop_cached_reads(engine) -> None:
    cache = QueryCache(clock=Manual())
    instrument(engine, sender=Collector(), result_cache=cache)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    count_recipes, count_notes = "SELECT count(*) FROM recipes", "SELECT count(*) FROM notes"
    with engine.connect() as conn:
        assert cached_query(conn, count_recipes)[0][0] == 0
        assert cached_query(conn, count_notes)[0][0] == 0
    with engine.begin() as conn:  # a write to recipes drops the cached read of recipes, not of notes
        conn.execute(sa.text("INSERT INTO recipes VALUES (1, 'soup', 20)"))
    with engine.connect() as conn:
        assert cached_query(conn, count_recipes)[0][0] == 1
        assert cached_query(conn, count_notes)[0][0] == 0
    assert cache.stats.hits == 1 and cache.stats.invalidated >= 1
    assert cache.invalidate() == 2 and len(cache) == 0
    with engine.connect() as conn:
        with pytest.raises(ValueError, match="read queries only"):
            cached_query(conn, "DELETE FROM recipes")
        assert cached_query(conn, count_recipes)[0][0] == 1  # the DELETE never ran


def test_lru_bound_and_explicit_cache_without_instrumentation(engine) -> None:
    cache = QueryCache(ttl_s=60, max_entries=2, clock=Manual())
    with engine.connect() as conn:
        for minutes in (1, 2, 3):
            cached_query(conn, "SELECT count(*) FROM recipes WHERE minutes > :m", {"m": minutes}, cache=cache)
        assert len(cache) == 2 and cache.stats.evicted == 1
        with pytest.raises(ValueError, match="no result cache"):
            cached_query(conn, "SELECT 1")


def test_the_cache_under_concurrent_threads(tmp_path: Path) -> None:
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'threads.db'}")
    with eng.begin() as conn:
        conn.execute(sa.text("CREATE TABLE n (v INTEGER)"))
        conn.execute(sa.text("INSERT INTO n VALUES (1), (2), (3), (4), (5), (6), (7), (8)"))
    cache = QueryCache(ttl_s=300, max_entries=5)
    sent = Collector()
    instrument(eng, sender=sent, result_cache=cache)
    errors: list[BaseException] = []
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            with eng.connect() as conn:
                for i in range(60):
                    v = (worker + i) % 8 + 1
                    rows = cached_query(conn, "SELECT v * 10 FROM n WHERE v = :v", {"v": v})
                    with lock:
                        results.append((v, rows[0][0]))
                    if i % 20 == 0:
                        cache.invalidate(["n"])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uninstrument(eng)
    eng.dispose()
    assert errors == []
    assert len(results) == 480 and all(value == v * 10 for v, value in results)
    assert len(cache) <= 5
    assert cache.stats.hits + cache.stats.misses == 480
    assert sum(1 for r in sent.items if r["cached"]) == cache.stats.hits


def test_end_to_end_into_a_real_server(tmp_path: Path) -> None:
    with empty_server(tmp_path / "server") as live:
        eng = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
        instrument(eng, base_url=live.url, key=live.keys["ingest"], endpoint=lambda: "/checkout")
        with eng.begin() as conn:
            conn.execute(sa.text("CREATE TABLE carts (id INTEGER, total REAL)"))
            for i in range(25):
                conn.execute(sa.text(f"INSERT INTO carts VALUES ({i}, {i * 1.5})"))  # literals inlined
        uninstrument(eng)  # flushes the sender
        eng.dispose()
        rows = live.warehouse_rows(
            "SELECT fingerprint, count(*) AS n, sum(rows) AS rows, bool_and(NOT cached) AS executed, "
            "min(system) AS system, min(operation) AS operation, min(endpoint) AS endpoint "
            "FROM telemetry_db_queries WHERE fingerprint LIKE '%carts%' GROUP BY fingerprint ORDER BY fingerprint")
    assert rows == [
        {"fingerprint": "CREATE TABLE carts(id INTEGER, total REAL)", "n": 1, "rows": None, "executed": True,
         "system": "sqlite", "operation": "CREATE", "endpoint": "/checkout"},
        {"fingerprint": "INSERT INTO carts VALUES (?, ?)", "n": 25, "rows": 25, "executed": True,
         "system": "sqlite", "operation": "INSERT", "endpoint": "/checkout"},
    ]
