"""Sessions on both backends: create with the key's scope, look up, expire (FakeClock), delete, purge,
refuse wrong tokens, revoked keys and bad input."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from support.clock import FakeClock

from growthos.core.errors import Conflict, InvalidInput, NotFound
from growthos.security.keys import SCOPES, hash_secret
from growthos.store import AppStore, Session
from growthos.store.sessions import MAX_TTL_S

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(app_db_url: str, clock: FakeClock):
    s = AppStore.open(app_db_url, clock=clock)
    yield s
    s.close()


@pytest.fixture
def key_id(store: AppStore) -> int:
    return store.create_api_key("dashboard", "read")[0].id


def session_count(store: AppStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM sessions")).scalar_one()


def test_create_copies_the_keys_scope_and_returns_the_token_once(store: AppStore, clock: FakeClock) -> None:
    for scope in SCOPES:
        key, _ = store.create_api_key("k", scope)
        session, token = store.create_session(key.id, ttl_s=600)
        assert session == Session(id=session.id, key_id=key.id, scope=scope, csrf_token=session.csrf_token,
                                  created_at=clock.now, expires_at=clock.now + timedelta(seconds=600))
        assert TOKEN.fullmatch(token) and TOKEN.fullmatch(session.csrf_token)
        assert token != session.csrf_token
        assert store.get_session(token) == session


def test_default_lifetime_is_eight_hours(store: AppStore, clock: FakeClock, key_id: int) -> None:
    session, _ = store.create_session(key_id)
    assert session.expires_at - session.created_at == timedelta(hours=8)


def test_each_session_has_its_own_token_and_csrf_token(store: AppStore, key_id: int) -> None:
    made = [store.create_session(key_id) for _ in range(20)]
    assert len({token for _, token in made}) == 20
    assert len({s.csrf_token for s, _ in made}) == 20
    assert len({s.id for s, _ in made}) == 20
    for session, token in made:
        assert store.get_session(token) == session


def test_repr_and_to_dict_show_neither_token(store: AppStore, clock: FakeClock, key_id: int) -> None:
    session, token = store.create_session(key_id, ttl_s=60)
    assert session.to_dict() == {"id": session.id, "key_id": key_id, "scope": "read",
                                 "created_at": clock.now.isoformat(),
                                 "expires_at": (clock.now + timedelta(seconds=60)).isoformat()}
    for shown in (json.dumps(session.to_dict()), repr(session), str(session)):
        assert token not in shown and session.csrf_token not in shown and hash_secret(token) not in shown


def test_sessions_expire_on_the_stores_clock(store: AppStore, clock: FakeClock, key_id: int) -> None:
    session, token = store.create_session(key_id, ttl_s=3600)
    clock.advance(3599.999999)
    assert store.get_session(token) == session
    assert not session.expired(clock.now)
    clock.advance(0.000001)  # exactly expires_at: over
    assert session.expired(clock.now)
    assert store.get_session(token) is None
    clock.advance(86400)
    assert store.get_session(token) is None


def test_expiry_is_per_session(store: AppStore, clock: FakeClock, key_id: int) -> None:
    _, short = store.create_session(key_id, ttl_s=60)
    clock.advance(30)
    _, later = store.create_session(key_id, ttl_s=60)
    clock.advance(45)
    assert store.get_session(short) is None
    assert store.get_session(later) is not None


def test_times_are_utc_whatever_the_clocks_zone(app_db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 8, 9, 30, 0, 1, tzinfo=timezone(timedelta(hours=-5))))
    with AppStore.open(app_db_url, clock=clock) as store:
        key, _ = store.create_api_key("k", "admin")
        session, token = store.create_session(key.id, ttl_s=90)
        found = store.get_session(token)
    assert session == found
    assert found.created_at == datetime(2026, 3, 8, 14, 30, 0, 1, tzinfo=UTC)
    assert session.created_at.tzinfo is UTC and found.created_at.tzinfo is UTC and found.expires_at.tzinfo is UTC


def test_wrong_tokens_find_nothing(store: AppStore, key_id: int) -> None:
    session, token = store.create_session(key_id)
    key_secret = store.create_api_key("other", "admin")[1]
    wrong = [
        "", " ", token[:-1], token + "x", token.swapcase(), " " + token, session.csrf_token,
        hash_secret(token),  # the stored hash is not a credential
        key_secret,  # nor is an API key a session token
        "x" * 100_000, "\udc80", None, b"bytes", 7, [token],
    ]
    for candidate in wrong:
        assert store.get_session(candidate) is None, candidate
    assert store.get_session(token) == session


def test_a_key_secret_cannot_be_used_as_a_session_and_vice_versa(store: AppStore) -> None:
    key, secret = store.create_api_key("k", "admin")
    _, token = store.create_session(key.id)
    assert store.get_session(secret) is None
    assert store.authenticate_key(token) is None


def test_delete_session_is_idempotent_and_leaves_others(store: AppStore, key_id: int) -> None:
    _, token = store.create_session(key_id)
    other, other_token = store.create_session(key_id)
    store.delete_session(token)
    assert store.get_session(token) is None
    store.delete_session(token)
    for odd in ("", "unknown", None, 12, "x" * 100_000):
        store.delete_session(odd)
    assert store.get_session(other_token) == other
    assert session_count(store) == 1


def test_purge_deletes_only_sessions_that_can_no_longer_be_used(store: AppStore, clock: FakeClock,
                                                               key_id: int) -> None:
    assert store.purge_expired_sessions() == 0
    store.create_session(key_id, ttl_s=10)
    store.create_session(key_id, ttl_s=20)
    _, lasting = store.create_session(key_id, ttl_s=3600)
    clock.advance(20)
    assert store.purge_expired_sessions() == 2
    assert store.purge_expired_sessions() == 0
    assert session_count(store) == 1
    assert store.get_session(lasting) is not None
    clock.advance(3600)
    assert store.purge_expired_sessions() == 1
    assert session_count(store) == 0


def test_a_session_surviving_its_keys_revocation_is_refused_and_purged(store: AppStore, key_id: int) -> None:
    # As if a session had been created in a race with the revocation: the row exists, the key is revoked.
    store.revoke_api_key(key_id)
    token = "t" * 43
    with store.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sessions (token_hash, key_id, scope, csrf_token, created_at, expires_at) "
            "VALUES (:hash, :key_id, 'read', 'c', '2026-01-01 00:00:00', '2099-01-01 00:00:00')"
        ), {"hash": hash_secret(token), "key_id": key_id})
    assert store.get_session(token) is None
    assert store.purge_expired_sessions() == 1


def test_unknown_key_is_not_found(store: AppStore) -> None:
    with pytest.raises(NotFound) as exc:
        store.create_session(999)
    assert exc.value.field == "key_id"


def test_revoked_key_gets_no_session(store: AppStore, key_id: int) -> None:
    store.revoke_api_key(key_id)
    with pytest.raises(Conflict, match="revoked") as exc:
        store.create_session(key_id)
    assert exc.value.field == "key_id"
    assert session_count(store) == 0


def test_longest_lifetime_is_accepted(store: AppStore, clock: FakeClock, key_id: int) -> None:
    session, _ = store.create_session(key_id, ttl_s=MAX_TTL_S)
    assert session.expires_at == clock.now + timedelta(days=30)
    assert store.create_session(key_id, ttl_s=1)[0].expires_at == clock.now + timedelta(seconds=1)


INVALID_ARGS = [
    ({"ttl_s": 0}, "ttl_s"),
    ({"ttl_s": -1}, "ttl_s"),
    ({"ttl_s": MAX_TTL_S + 1}, "ttl_s"),
    ({"ttl_s": 10**30}, "ttl_s"),
    ({"ttl_s": 1.5}, "ttl_s"),
    ({"ttl_s": "60"}, "ttl_s"),
    ({"ttl_s": True}, "ttl_s"),
    ({"key_id": "1"}, "key_id"),
    ({"key_id": None}, "key_id"),
]


def test_invalid_input_names_the_field_and_creates_nothing(store: AppStore, key_id: int) -> None:
    # One store for every case (a fresh PostgreSQL database per case would cost more than the checks).
    for args, field in INVALID_ARGS:
        with pytest.raises(InvalidInput) as exc:
            store.create_session(**{"key_id": key_id, **args})
        assert (args, exc.value.field) == (args, field)
        assert field in str(exc.value)
    assert session_count(store) == 0
