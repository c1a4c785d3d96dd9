"""API keys: create, authenticate, list and revoke (queries over the ``api_keys`` table).

The secret is returned once by ``create_api_key``; the table keeps its SHA-256 hash (to look it up) and
a short visible prefix (to tell keys apart in listings). Revoking a key also ends its sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, or_, select, update

from growthos.core.errors import InvalidInput, NotFound
from growthos.security.keys import SCOPES, generate_secret, hash_secret, key_prefix, verify_secret
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.records import ApiKey
from growthos.store.schema import api_keys, sessions
from growthos.store.types import as_utc

LAST_USED_INTERVAL_S = 60
"""``last_used_at`` is written at most this often per key, so authenticating is not a write per request."""

MAX_SECRET_LENGTH = 512
"""Longer strings cannot be secrets (ours are 53-55 characters): refused without hashing them."""

_KEY_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.scope,
    api_keys.c.prefix,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
    api_keys.c.revoked_at,
)


def create_api_key(engine: Engine, clock: Callable[[], datetime], name: str, scope: str) -> tuple[ApiKey, str]:
    validate.text(name, "name", max_length=128, allow_empty=False)
    validate.one_of(scope, SCOPES, "scope")
    secret = generate_secret(scope)
    now = as_utc(clock())
    values = {"name": name, "scope": scope, "prefix": key_prefix(secret), "created_at": now}
    with write_transaction(engine) as conn:
        result = conn.execute(insert(api_keys).values(secret_hash=hash_secret(secret), **values))
        key_id = int(result.inserted_primary_key[0])
    return ApiKey(id=key_id, last_used_at=None, revoked_at=None, **values), secret


def authenticate_key(engine: Engine, clock: Callable[[], datetime], secret: Any) -> ApiKey | None:
    """The live key whose secret this is, else None; records the use (at most once a minute)."""
    if not isinstance(secret, str) or not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    secret_hash = hash_secret(secret)
    with read_transaction(engine) as conn:
        row = conn.execute(
            select(*_KEY_COLUMNS, api_keys.c.secret_hash).where(api_keys.c.secret_hash == secret_hash)
        ).one_or_none()
    if row is None or row.revoked_at is not None or not verify_secret(secret, row.secret_hash):
        return None
    key = _to_key(row)
    now = as_utc(clock())
    if key.last_used_at is not None and now - key.last_used_at < timedelta(seconds=LAST_USED_INTERVAL_S):
        return key
    with write_transaction(engine) as conn:
        # Conditional: of several requests using the key at once, one writes; none revives a revoked key.
        result = conn.execute(
            update(api_keys)
            .where(
                api_keys.c.id == key.id,
                api_keys.c.revoked_at.is_(None),
                or_(
                    api_keys.c.last_used_at.is_(None),
                    api_keys.c.last_used_at <= now - timedelta(seconds=LAST_USED_INTERVAL_S),
                ),
            )
            .values(last_used_at=now)
        )
    if result.rowcount == 1:
        return replace(key, last_used_at=now)
    return key


def list_api_keys(engine: Engine, include_revoked: bool) -> list[ApiKey]:
    if not isinstance(include_revoked, bool):
        raise InvalidInput(f"include_revoked must be true or false; got {include_revoked!r}", field="include_revoked")
    query = select(*_KEY_COLUMNS).order_by(api_keys.c.id)
    if not include_revoked:
        query = query.where(api_keys.c.revoked_at.is_(None))
    with read_transaction(engine) as conn:
        return [_to_key(row) for row in conn.execute(query)]


def revoke_api_key(engine: Engine, clock: Callable[[], datetime], key_id: int) -> None:
    """Revoke the key (keeping the first revocation time if it already was) and delete its sessions."""
    validate.identifier(key_id, "key_id")
    with write_transaction(engine) as conn:
        result = conn.execute(
            update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=clock())
        )
        if result.rowcount == 0:
            exists = conn.execute(select(api_keys.c.id).where(api_keys.c.id == key_id)).scalar_one_or_none()
            if exists is None:
                raise NotFound(f"API key {key_id} does not exist", field="key_id")
        conn.execute(delete(sessions).where(sessions.c.key_id == key_id))


def _to_key(row: Row[Any]) -> ApiKey:
    m = row._mapping
    return ApiKey(
        id=m["id"],
        name=m["name"],
        scope=m["scope"],
        prefix=m["prefix"],
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )
