"""Pending OAuth authorizations on both backends: a state works once, expires after 10 minutes, unknown and
malformed states are refused; the state is stored only as its hash and the verifier only encrypted; deleting
the connection deletes its pending states; the table agrees with migration 0004."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from support.clock import FakeClock
from support.connectors import GOOD_TOKEN, KIND, registered_fake

from growthos.core.errors import NotFound
from growthos.security.crypto import KEY_FILE_NAME, KeyFile
from growthos.security.keys import hash_secret
from growthos.security.oauth import OAuthStateError, code_challenge, is_code_verifier
from growthos.store import AppStore
from growthos.store.oauth_states import STATE_TTL_S, oauth_states
from growthos.store.schema import metadata

REDIRECT = "http://127.0.0.1:8000/api/connections/google/oauth/callback"


@pytest.fixture(autouse=True)
def _fake_connector() -> Iterator[None]:
    with registered_fake():
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[AppStore]:
    s = AppStore.open(app_db_url, clock=clock, keys=KeyFile(tmp_path / "keys" / KEY_FILE_NAME))
    s.create_connection("ads", KIND, {"account": "acme", "token": GOOD_TOKEN})
    yield s
    s.close()


def rows(store: AppStore) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(oauth_states)).all()


def test_a_state_is_consumed_once(store: AppStore) -> None:
    pending = store.begin_oauth("ads", REDIRECT)
    assert pending.connection == "ads" and pending.redirect_uri == REDIRECT
    assert is_code_verifier(pending.code_verifier) and len(pending.state) >= 43
    assert pending.code_challenge == code_challenge(pending.code_verifier)
    assert pending.state not in repr(pending) and pending.code_verifier not in repr(pending)

    consumed = store.consume_oauth_state(pending.state)
    assert (consumed.connection, consumed.code_verifier, consumed.redirect_uri) == (
        "ads", pending.code_verifier, REDIRECT)
    with pytest.raises(OAuthStateError, match="already completed") as again:
        store.consume_oauth_state(pending.state)
    assert again.value.status == 400 and again.value.field == "state"


def test_states_are_independent(store: AppStore) -> None:
    first, second = store.begin_oauth("ads", REDIRECT), store.begin_oauth("ads", REDIRECT)
    assert first.state != second.state and first.code_verifier != second.code_verifier
    assert store.consume_oauth_state(second.state).code_verifier == second.code_verifier
    assert store.consume_oauth_state(first.state).code_verifier == first.code_verifier


def test_expiry_after_ten_minutes(store: AppStore, clock: FakeClock) -> None:
    assert STATE_TTL_S == 600
    late, in_time = store.begin_oauth("ads", REDIRECT), store.begin_oauth("ads", REDIRECT)
    assert late.expires_at == clock.now + timedelta(seconds=600)
    clock.advance(599)
    assert store.consume_oauth_state(in_time.state).connection == "ads"
    clock.advance(1)
    with pytest.raises(OAuthStateError, match="expired"):
        store.consume_oauth_state(late.state)


@pytest.mark.parametrize("state", ["", "never-issued-" + "x" * 30, "x" * 513, None, 42])
def test_unknown_or_malformed_states_are_refused(store: AppStore, state: object) -> None:
    store.begin_oauth("ads", REDIRECT)
    with pytest.raises(OAuthStateError) as refused:
        store.consume_oauth_state(state)  # type: ignore[arg-type]
    assert refused.value.field == "state" and refused.value.status == 400


def test_only_the_hash_and_a_ciphertext_are_stored(store: AppStore) -> None:
    pending = store.begin_oauth("ads", REDIRECT)
    (row,) = rows(store)
    assert row.state_hash == hash_secret(pending.state)
    assert row.code_verifier.startswith("v1:") and pending.code_verifier not in row.code_verifier
    stored = " ".join(str(v) for v in row)
    assert pending.state not in stored and pending.code_verifier not in stored
    assert row.used_at is None
    store.consume_oauth_state(pending.state)
    assert rows(store)[0].used_at is not None


def test_unknown_connection_and_cascade_on_delete(store: AppStore) -> None:
    with pytest.raises(NotFound) as missing:
        store.begin_oauth("nope", REDIRECT)
    assert missing.value.field == "connection"
    pending = store.begin_oauth("ads", REDIRECT)
    store.delete_connection("ads")
    assert rows(store) == []
    with pytest.raises(OAuthStateError, match="unknown"):
        store.consume_oauth_state(pending.state)


def test_old_rows_are_purged(store: AppStore, clock: FakeClock) -> None:
    used, expired = store.begin_oauth("ads", REDIRECT), store.begin_oauth("ads", REDIRECT)
    store.begin_oauth("ads", REDIRECT)
    store.consume_oauth_state(used.state)
    clock.advance(STATE_TTL_S - 1)
    live = store.begin_oauth("ads", REDIRECT)
    clock.advance(1)
    assert store.purge_oauth_states() == 3  # the used one and the two that just expired
    assert store.consume_oauth_state(live.state).connection == "ads"
    with pytest.raises(OAuthStateError, match="unknown"):
        store.consume_oauth_state(expired.state)
    clock.advance(2 * 24 * 3600)
    store.begin_oauth("ads", REDIRECT)  # beginning purges rows expired over a day ago
    assert len(rows(store)) == 1


def test_concurrent_callbacks_consume_once(store: AppStore) -> None:
    pending = store.begin_oauth("ads", REDIRECT)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def consume() -> None:
        barrier.wait()
        try:
            store.consume_oauth_state(pending.state)
            outcomes.append("ok")
        except OAuthStateError:
            outcomes.append("refused")

    threads = [threading.Thread(target=consume) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5


def test_table_matches_the_migration(store: AppStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
