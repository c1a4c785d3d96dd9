"""Dashboard sessions opened with an API key (queries over the ``sessions`` table).

The session token is returned once by ``create_session`` (the server puts it in an HttpOnly cookie);
the table keeps its SHA-256 hash. A session carries its key's scope and a CSRF token, and is valid until
it expires, is deleted (logout), or its key is revoked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, or_, select

from growthos.core.errors import Conflict, NotFound
from growthos.security.keys import hash_secret, verify_secret
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.keys import MAX_SECRET_LENGTH
from growthos.store.records import Session
from growthos.store.schema import api_keys, sessions
from growthos.store.types import as_utc

TOKEN_BYTES = 32
"""Random bytes of a session token and of a CSRF token (256 bits each)."""

MAX_TTL_S = 30 * 24 * 3600
"""Longest session create_session accepts (30 days)."""

_SESSION_COLUMNS = (
    sessions.c.id,
    sessions.c.key_id,
    sessions.c.scope,
    sessions.c.csrf_token,
    sessions.c.created_at,
    sessions.c.expires_at,
)


def create_session(engine: Engine, clock: Callable[[], datetime], key_id: int, ttl_s: int) -> tuple[Session, str]:
    validate.identifier(key_id, "key_id")
    validate.int_range(ttl_s, "ttl_s", minimum=1, maximum=MAX_TTL_S)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf_token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction(engine) as conn:
        # FOR UPDATE (PostgreSQL; SQLite's write transaction is already exclusive) orders this after a
        # concurrent revoke, which then deletes the new session, or before it, which then refuses here.
        key = conn.execute(
            select(api_keys.c.scope, api_keys.c.revoked_at).where(api_keys.c.id == key_id).with_for_update()
        ).one_or_none()
        if key is None:
            raise NotFound(f"API key {key_id} does not exist", field="key_id")
        if key.revoked_at is not None:
            raise Conflict(f"API key {key_id} is revoked", field="key_id")
        now = as_utc(clock())
        values = {
            "key_id": key_id,
            "scope": key.scope,
            "csrf_token": csrf_token,
            "created_at": now,
            "expires_at": now + timedelta(seconds=ttl_s),
        }
        result = conn.execute(insert(sessions).values(token_hash=hash_secret(token), **values))
        session_id = int(result.inserted_primary_key[0])
    return Session(id=session_id, **values), token


def get_session(engine: Engine, clock: Callable[[], datetime], token: Any) -> Session | None:
    """The session of this token if it is live (not expired, its key not revoked), else None."""
    if not isinstance(token, str) or not token or len(token) > MAX_SECRET_LENGTH:
        return None
    token_hash = hash_secret(token)
    query = (
        select(*_SESSION_COLUMNS, sessions.c.token_hash)
        .join(api_keys, api_keys.c.id == sessions.c.key_id)
        .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > clock(), api_keys.c.revoked_at.is_(None))
    )
    with read_transaction(engine) as conn:
        row = conn.execute(query).one_or_none()
    if row is None or not verify_secret(token, row.token_hash):
        return None
    return _to_session(row)


def delete_session(engine: Engine, token: Any) -> None:
    if not isinstance(token, str) or not token or len(token) > MAX_SECRET_LENGTH:
        return
    with write_transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == hash_secret(token)))


def purge_expired_sessions(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Delete the sessions that can no longer be used (expired, or of a revoked key); returns how many."""
    revoked_keys = select(api_keys.c.id).where(api_keys.c.revoked_at.is_not(None))
    with write_transaction(engine) as conn:
        result = conn.execute(
            delete(sessions).where(or_(sessions.c.expires_at <= clock(), sessions.c.key_id.in_(revoked_keys)))
        )
        return int(result.rowcount)


def _to_session(row: Row[Any]) -> Session:
    m = row._mapping
    return Session(
        id=m["id"],
        key_id=m["key_id"],
        scope=m["scope"],
        csrf_token=m["csrf_token"],
        created_at=m["created_at"],
        expires_at=m["expires_at"],
    )
