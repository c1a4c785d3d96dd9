"""API keys on both backends: create, authenticate, list, revoke, last-use throttling, secrets stored only
hashed (every column and, for SQLite, the file bytes), constraints, and the 0001 -> 0002 migration."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, event, inspect, select, text
from sqlalchemy.exc import IntegrityError
from support.clock import FakeClock

from growthos.core.errors import InvalidInput, NotFound
from growthos.security.keys import SCOPES, hash_secret, key_prefix
from growthos.store import ApiKey, AppStore, CheckOutcome
from growthos.store.engine import make_engine, write_transaction
from growthos.store.keys import LAST_USED_INTERVAL_S
from growthos.store.migrate import alembic_config, current_revision, head_revision, known_revisions, upgrade
from growthos.store.schema import metadata


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock):
    s = AppStore.open(app_db_url, clock=clock)
    yield s
    s.close()


def every_stored_value(store: AppStore) -> list[str]:
    """Every value of every row of every app-database table, as text."""
    values = []
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                values.extend(str(v) for v in row)
    return values


# -- create, authenticate, list ---------------------------------------------------------------------


def test_create_returns_the_key_and_its_secret_once(store: AppStore, clock: FakeClock) -> None:
    created = []
    for scope in SCOPES:
        key, secret = store.create_api_key(f"Segment webhook ({scope})", scope)
        assert key == ApiKey(id=key.id, name=f"Segment webhook ({scope})", scope=scope, prefix=key_prefix(secret),
                             created_at=clock.now, last_used_at=None, revoked_at=None)
        assert isinstance(key.id, int) and not key.revoked
        assert secret.startswith(f"gos_{scope}_") and secret.startswith(key.prefix)
        assert len(secret) - len(key.prefix) >= 35
        created.append(key)
    assert store.list_api_keys() == created


def test_to_dict_and_repr_never_show_the_secret_or_its_hash(store: AppStore, clock: FakeClock) -> None:
    key, secret = store.create_api_key("ci", "admin")
    as_dict = key.to_dict()
    assert as_dict == {"id": key.id, "name": "ci", "scope": "admin", "prefix": key.prefix,
                       "created_at": clock.now.isoformat(), "last_used_at": None, "revoked_at": None,
                       "revoked": False}
    for shown in (json.dumps(as_dict), repr(key), str(key)):
        assert secret not in shown and hash_secret(secret) not in shown
        assert secret[len(key.prefix):] not in shown


def test_authenticate_finds_the_key_of_a_secret(store: AppStore, clock: FakeClock) -> None:
    keys = {scope: store.create_api_key(f"{scope} key", scope) for scope in SCOPES}
    for scope, (key, secret) in keys.items():
        found = store.authenticate_key(secret)
        assert (found.id, found.scope, found.name) == (key.id, scope, key.name)
        assert found.last_used_at == clock.now and found.last_used_at.tzinfo is UTC


def test_wrong_secrets_do_not_authenticate(store: AppStore) -> None:
    key, secret = store.create_api_key("k", "read")
    other_key, other_secret = store.create_api_key("other", "admin")
    wrong = [
        "", " ", secret[:-1], secret + "x", secret.upper(), " " + secret, secret + "\n", key.prefix,
        hash_secret(secret),  # the stored hash is not a credential
        other_secret.replace("admin", "read", 1), "gos_read_" + "A" * 43, "x" * 100_000, "\udc80", "\x00",
        None, b"bytes", 123, [secret],
    ]
    for candidate in wrong:
        assert store.authenticate_key(candidate) is None, candidate
    assert store.authenticate_key(secret).id == key.id
    assert store.authenticate_key(other_secret).id == other_key.id


def test_list_oldest_first_and_revoked_only_on_request(store: AppStore, clock: FakeClock) -> None:
    assert store.list_api_keys() == [] and store.list_api_keys(include_revoked=True) == []
    first, _ = store.create_api_key("first", "read")
    clock.advance(1)
    second, _ = store.create_api_key("second", "ingest")
    clock.advance(1)
    third, _ = store.create_api_key("third", "admin")
    store.revoke_api_key(second.id)
    assert [k.id for k in store.list_api_keys()] == [first.id, third.id]
    listed = store.list_api_keys(include_revoked=True)
    assert [k.id for k in listed] == [first.id, second.id, third.id]
    assert [k.revoked for k in listed] == [False, True, False]
    assert listed[1].revoked_at == clock.now and listed[1].to_dict()["revoked_at"] == clock.now.isoformat()


def test_names_may_repeat_and_hold_any_text(store: AppStore) -> None:
    a, _ = store.create_api_key("dashboard ✓ — équipe", "read")
    b, _ = store.create_api_key("dashboard ✓ — équipe", "read")
    c, _ = store.create_api_key("n" * 128, "read")
    assert a.id != b.id and a.prefix != b.prefix
    assert [k.name for k in store.list_api_keys()] == ["dashboard ✓ — équipe"] * 2 + ["n" * 128]
    assert c.name == "n" * 128


def test_times_are_utc_whatever_the_clocks_zone(app_db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 8, 9, 30, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    with AppStore.open(app_db_url, clock=clock) as store:
        key, secret = store.create_api_key("k", "read")
        found = store.authenticate_key(secret)
        (listed,) = store.list_api_keys()
    expected = datetime(2026, 3, 8, 4, 0, 0, 1, tzinfo=UTC)
    assert key.created_at == found.created_at == listed.created_at == listed.last_used_at == expected
    assert key.created_at.tzinfo is UTC and listed.created_at.tzinfo is UTC and listed.last_used_at.tzinfo is UTC


# -- revoke -----------------------------------------------------------------------------------------


def test_a_revoked_key_no_longer_authenticates_and_its_sessions_end(store: AppStore, clock: FakeClock) -> None:
    key, secret = store.create_api_key("k", "admin")
    kept, kept_secret = store.create_api_key("kept", "read")
    _, token_1 = store.create_session(key.id)
    _, token_2 = store.create_session(key.id)
    _, kept_token = store.create_session(kept.id)
    clock.advance(5)
    store.revoke_api_key(key.id)
    assert store.authenticate_key(secret) is None
    assert store.get_session(token_1) is None and store.get_session(token_2) is None
    with store.engine.connect() as conn:
        left = conn.execute(text("SELECT key_id FROM sessions")).scalars().all()
    assert left == [kept.id]  # deleted, not just hidden
    assert store.authenticate_key(kept_secret).id == kept.id
    assert store.get_session(kept_token).key_id == kept.id
    (revoked,) = [k for k in store.list_api_keys(include_revoked=True) if k.id == key.id]
    assert revoked.revoked_at == clock.now


def test_revoking_again_keeps_the_first_revocation(store: AppStore, clock: FakeClock) -> None:
    key, _ = store.create_api_key("k", "read")
    store.revoke_api_key(key.id)
    first = clock.now
    clock.advance(60)
    store.revoke_api_key(key.id)
    assert store.list_api_keys(include_revoked=True)[0].revoked_at == first


def test_revoking_an_unknown_key_is_not_found(store: AppStore) -> None:
    with pytest.raises(NotFound) as exc:
        store.revoke_api_key(999)
    assert exc.value.field == "key_id"


# -- last use ---------------------------------------------------------------------------------------


def test_last_used_at_is_written_at_most_once_a_minute(store: AppStore, clock: FakeClock) -> None:
    key, secret = store.create_api_key("k", "read")
    updates: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        start = clock.now
        assert store.authenticate_key(secret).last_used_at == start
        for _ in range(5):
            clock.advance(10)
            assert store.authenticate_key(secret).last_used_at == start  # 10..50 s later: not written
        assert len(updates) == 1
        clock.advance(LAST_USED_INTERVAL_S - 50)  # exactly a minute after the recorded use
        assert store.authenticate_key(secret).last_used_at == clock.now
        assert len(updates) == 2
        clock.advance(1)
        assert store.authenticate_key(secret).last_used_at == start + timedelta(seconds=60)
        assert len(updates) == 2
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert store.list_api_keys()[0].last_used_at == start + timedelta(seconds=60)
    assert store.list_api_keys()[0].id == key.id


def test_failed_authentication_writes_nothing(store: AppStore) -> None:
    store.create_api_key("k", "read")
    store.authenticate_key("gos_read_wrong")
    assert store.list_api_keys()[0].last_used_at is None


def test_many_requests_authenticating_at_once(app_db_url: str) -> None:
    stores = [AppStore.open(app_db_url) for _ in range(2)]
    key, secret = stores[0].create_api_key("k", "ingest")
    results: list[object] = []
    errors: list[BaseException] = []

    def authenticate(store: AppStore) -> None:
        try:
            for _ in range(10):
                results.append(store.authenticate_key(secret))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=authenticate, args=(s,)) for s in stores for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 80 and {r.id for r in results} == {key.id}
    for store in stores:
        store.close()


# -- refused input ----------------------------------------------------------------------------------


INVALID_CALLS = [
    (lambda s: s.create_api_key("k", "write"), "scope"),
    (lambda s: s.create_api_key("k", "READ"), "scope"),
    (lambda s: s.create_api_key("k", ""), "scope"),
    (lambda s: s.create_api_key("k", None), "scope"),
    (lambda s: s.create_api_key("", "read"), "name"),
    (lambda s: s.create_api_key("   ", "read"), "name"),
    (lambda s: s.create_api_key("n" * 129, "read"), "name"),
    (lambda s: s.create_api_key(None, "read"), "name"),
    (lambda s: s.revoke_api_key("1"), "key_id"),
    (lambda s: s.revoke_api_key(True), "key_id"),
    (lambda s: s.list_api_keys(include_revoked="yes"), "include_revoked"),
]


def test_invalid_input_names_the_field_and_changes_nothing(store: AppStore) -> None:
    # One store for every case (a fresh PostgreSQL database per case would cost more than the checks).
    key, _ = store.create_api_key("existing", "read")
    for n, (call, field) in enumerate(INVALID_CALLS):
        with pytest.raises(InvalidInput) as exc:
            call(store)
        assert (n, exc.value.field) == (n, field)
        assert field in str(exc.value)
    assert store.list_api_keys(include_revoked=True) == [key]


# -- secrets are stored only hashed -----------------------------------------------------------------


def test_secrets_and_tokens_are_not_stored_in_plaintext(store: AppStore, clock: FakeClock) -> None:
    created = [store.create_api_key(f"key {scope}", scope) for scope in SCOPES]
    tokens = []
    for key, secret in created:
        assert store.authenticate_key(secret) is not None
        if key.scope != "ingest":
            tokens.append(store.create_session(key.id)[1])
        clock.advance(61)
        store.authenticate_key(secret)
    store.revoke_api_key(created[0][0].id)

    values = every_stored_value(store)
    stored = "\n".join(values)
    for key, secret in created:
        assert secret not in stored
        assert secret[len(key.prefix):] not in stored  # not even the hidden part
        assert hash_secret(secret) in values  # what is stored instead
    for token in tokens:
        assert token not in stored
    with store.engine.connect() as conn:
        columns = {table: {c["name"] for c in inspect(conn).get_columns(table)} for table in ("api_keys", "sessions")}
    assert not (columns["api_keys"] | columns["sessions"]) & {"secret", "token"}


def test_sqlite_file_never_holds_a_secret(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    with AppStore.open(url, clock=clock) as store:
        key, secret = store.create_api_key("k", "admin")
        store.authenticate_key(secret)
        _, token = store.create_session(key.id)
        store.get_session(token)
        files = sorted(tmp_path.glob("app.db*"))  # the database and, while open, its write-ahead log
        contents_open = b"".join(f.read_bytes() for f in files)
    contents_closed = b"".join(f.read_bytes() for f in sorted(tmp_path.glob("app.db*")))
    for contents in (contents_open, contents_closed):
        assert hash_secret(secret).encode() in contents  # the scan does see the rows
        for plain in (secret, secret[len(key.prefix):], token):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert plain.encode(encoding) not in contents


# -- constraints ------------------------------------------------------------------------------------


def test_scope_check_constraints_match_the_scopes(app_store: AppStore) -> None:
    insert_key = text("INSERT INTO api_keys (name, scope, prefix, secret_hash, created_at) "
                      "VALUES ('k', :scope, 'p', :hash, '2026-01-01 00:00:00')")
    with app_store.engine.begin() as conn:
        for scope in SCOPES:
            conn.execute(insert_key, {"scope": scope, "hash": f"h-{scope}"})
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(insert_key, {"scope": "root", "hash": "h-root"})
    key, _ = app_store.create_api_key("k", "read")
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sessions (token_hash, key_id, scope, csrf_token, created_at, expires_at) "
            "VALUES ('t', :key_id, 'root', 'c', '2026-01-01 00:00:00', '2026-01-02 00:00:00')"
        ), {"key_id": key.id})


def test_secret_and_token_hashes_are_unique(app_store: AppStore) -> None:
    key, secret = app_store.create_api_key("k", "read")
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(text("INSERT INTO api_keys (name, scope, prefix, secret_hash, created_at) "
                          "VALUES ('dup', 'read', 'p', :hash, '2026-01-01 00:00:00')"), {"hash": hash_secret(secret)})
    _, token = app_store.create_session(key.id)
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sessions (token_hash, key_id, scope, csrf_token, created_at, expires_at) "
            "VALUES (:hash, :key_id, 'read', 'c', '2026-01-01 00:00:00', '2026-01-02 00:00:00')"
        ), {"hash": hash_secret(token), "key_id": key.id})


def test_deleting_a_key_row_cascades_to_its_sessions(app_store: AppStore) -> None:
    key, _ = app_store.create_api_key("k", "read")
    other, _ = app_store.create_api_key("other", "read")
    app_store.create_session(key.id)
    _, other_token = app_store.create_session(other.id)
    with app_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE id = :id"), {"id": key.id})
        assert conn.execute(text("SELECT key_id FROM sessions")).scalars().all() == [other.id]
    with pytest.raises(IntegrityError), app_store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sessions (token_hash, key_id, scope, csrf_token, created_at, expires_at) "
            "VALUES ('t', 12345, 'read', 'c', '2026-01-01 00:00:00', '2026-01-02 00:00:00')"
        ))
    assert app_store.get_session(other_token).key_id == other.id


# -- migrations -------------------------------------------------------------------------------------


def test_head_has_both_tables(app_db_url: str) -> None:
    assert "0002" in known_revisions()
    with AppStore.open(app_db_url) as store:
        tables = set(inspect(store.engine).get_table_names())
    assert {"api_keys", "sessions"} <= tables
    assert current_revision(app_db_url) == head_revision()


def test_schema_comparison_covers_the_new_tables(app_db_url: str) -> None:
    """The schema-vs-migrations test (test_store_migrations.py) compares all of schema.metadata; this shows
    it would notice if api_keys or sessions were missing from either side."""
    assert {"api_keys", "sessions"} <= set(metadata.tables)
    upgrade(app_db_url)
    without = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        if table.name not in ("api_keys", "sessions"):
            table.to_metadata(without)
    engine = make_engine(app_db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            removed = {d[1].name for d in compare_metadata(context, without) if d[0] == "remove_table"}
    finally:
        engine.dispose()
    assert removed == {"api_keys", "sessions"}


def _migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    try:
        with write_transaction(engine) as conn:
            (command.downgrade if down else command.upgrade)(alembic_config(conn), revision)
    finally:
        engine.dispose()


def test_upgrading_a_0001_database_keeps_its_job_runs(app_db_url: str, clock: FakeClock) -> None:
    _migrate_to(app_db_url, "0001")
    assert current_revision(app_db_url) == "0001"
    old = AppStore(make_engine(app_db_url), clock=clock)  # the 0001 tables are all job runs need
    try:
        assert "api_keys" not in inspect(old.engine).get_table_names()
        done = old.start_job("build", {"full_refresh": True})
        clock.advance(3)
        old.finish_job(done, "succeeded", rows={"fct_orders": 12})
        old.save_check_results(done, [CheckOutcome("freshness", "warn", 26.0, 24.0, "late")])
        running = old.start_job("sync", {"source": "stripe"})
        jobs_before = old.list_jobs()
        checks_before = old.latest_check_results()
    finally:
        old.close()

    with AppStore.open(app_db_url, clock=clock) as store:
        assert current_revision(app_db_url) == head_revision()
        assert store.list_jobs() == jobs_before
        assert [j.id for j in jobs_before] == [running, done]
        assert store.latest_check_results() == checks_before
        key, secret = store.create_api_key("after upgrade", "read")
        assert store.authenticate_key(secret).id == key.id
        store.finish_job(running, "failed", error="interrupted")
        new_job = store.start_job("build")
        assert new_job > running


def test_downgrading_to_0001_drops_keys_and_sessions_only(app_db_url: str) -> None:
    with AppStore.open(app_db_url) as store:
        job_id = store.start_job("build")
        key, _ = store.create_api_key("k", "read")
        store.create_session(key.id)
    _migrate_to(app_db_url, "0001", down=True)
    assert current_revision(app_db_url) == "0001"
    engine = make_engine(app_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "api_keys" not in tables and "sessions" not in tables and "job_runs" in tables
    with AppStore.open(app_db_url) as store:  # and back up again
        assert [j.id for j in store.list_jobs()] == [job_id]
        assert store.list_api_keys() == []
