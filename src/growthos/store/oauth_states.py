"""Pending OAuth authorizations (``oauth_states``): begun by the start route, consumed once by the callback.

``begin_authorization`` makes a random state and a PKCE code verifier for a connection and keeps, until the
callback, the state's SHA-256 hash (never the state), the verifier encrypted with the connections' key
(AES-256-GCM, bound to that state hash), the redirect URI the code will be bound to, and when it expires
(10 minutes). ``consume_authorization`` gives them back exactly once: an unknown, expired or already used
state is refused with OAuthStateError (400) and nothing else happens. Deleting the connection deletes its
pending states (foreign key, ON DELETE CASCADE). Rows older than a day are purged when a new one begins.

The table is declared here, on the shared ``schema.metadata`` (so the migration check sees it whenever the
store is imported); migration 0004 creates it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Engine, ForeignKey, Index, String, Table, Text, delete, insert, select, update

from growthos.core.errors import NotFound
from growthos.security.crypto import DecryptionError, KeySource
from growthos.security.keys import hash_secret
from growthos.security.oauth import OAuthStateError, code_challenge, new_code_verifier, new_state
from growthos.store import validate
from growthos.store.engine import write_transaction
from growthos.store.schema import connections, metadata
from growthos.store.types import UTCDateTime, as_utc

STATE_TTL_S = 600
"""A pending authorization is good for 10 minutes (Google's codes live as long)."""
PURGE_AFTER_S = 24 * 3600
"""Expired or used rows are kept a day (so a late or repeated callback is told why), then purged."""
MAX_STATE_LENGTH = 512
MAX_REDIRECT_URI_LENGTH = 2048

oauth_states = Table(
    "oauth_states",
    metadata,
    Column("state_hash", String(64), primary_key=True),  # SHA-256 hex of the state; the state is never stored
    Column("connection", String(64), ForeignKey("connections.name", ondelete="CASCADE"), nullable=False),
    Column("code_verifier", Text, nullable=False),  # AES-256-GCM ciphertext (growthos.security.crypto)
    Column("redirect_uri", String(MAX_REDIRECT_URI_LENGTH), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Index(None, "connection"),
    Index(None, "expires_at"),
)


@dataclass(frozen=True)
class PendingAuthorization:
    """What ``begin_authorization`` hands out: the state and verifier in plain text (here only)."""

    connection: str
    state: str
    code_verifier: str
    redirect_uri: str
    expires_at: datetime

    @property
    def code_challenge(self) -> str:
        """The S256 challenge of the verifier (what the authorization URL carries)."""
        return code_challenge(self.code_verifier)

    def __repr__(self) -> str:
        return f"PendingAuthorization(connection={self.connection!r}, expires_at={self.expires_at.isoformat()})"


@dataclass(frozen=True)
class ConsumedAuthorization:
    """What ``consume_authorization`` gives back, once: whose code this is and how to exchange it."""

    connection: str
    code_verifier: str
    redirect_uri: str
    created_at: datetime

    def __repr__(self) -> str:
        return f"ConsumedAuthorization(connection={self.connection!r}, redirect_uri={self.redirect_uri!r})"


def verifier_aad(state_hash: str) -> bytes:
    """What binds an encrypted verifier to its state (a ciphertext moved to another row fails to decrypt)."""
    return b"growthos-oauth-verifier\x00" + state_hash.encode("ascii")


def begin_authorization(engine: Engine, clock: Callable[[], datetime], source: KeySource, connection: str,
                        redirect_uri: str, ttl_s: int = STATE_TTL_S) -> PendingAuthorization:
    """A new state and verifier for ``connection`` (NotFound when there is none), valid ``ttl_s`` seconds."""
    validate.text(connection, "connection", max_length=64, allow_empty=False)
    validate.text(redirect_uri, "redirect_uri", max_length=MAX_REDIRECT_URI_LENGTH, allow_empty=False)
    validate.int_range(ttl_s, "ttl_s", minimum=1, maximum=24 * 3600)
    state, verifier = new_state(), new_code_verifier()
    state_hash = hash_secret(state)
    now = as_utc(clock())
    expires_at = now + timedelta(seconds=ttl_s)
    with write_transaction(engine) as conn:
        if conn.execute(select(connections.c.id).where(connections.c.name == connection)).first() is None:
            raise NotFound(f"no connection named {connection!r}", field="connection")
        conn.execute(delete(oauth_states).where(oauth_states.c.expires_at < now - timedelta(seconds=PURGE_AFTER_S)))
        sealed = source.keyring(create=True).encrypt(verifier, verifier_aad(state_hash))
        conn.execute(insert(oauth_states).values(
            state_hash=state_hash, connection=connection, code_verifier=sealed, redirect_uri=redirect_uri,
            created_at=now, expires_at=expires_at, used_at=None,
        ))
    return PendingAuthorization(connection, state, verifier, redirect_uri, expires_at)


def consume_authorization(engine: Engine, clock: Callable[[], datetime], source: KeySource,
                          state: object) -> ConsumedAuthorization:
    """The pending authorization of ``state``, marked used; OAuthStateError when unknown, expired or used."""
    if not isinstance(state, str) or not state or len(state) > MAX_STATE_LENGTH:
        raise OAuthStateError("the state parameter is missing or malformed", field="state")
    state_hash = hash_secret(state)
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        row = conn.execute(
            select(oauth_states).where(oauth_states.c.state_hash == state_hash).with_for_update()
        ).one_or_none()
        if row is None:
            raise OAuthStateError("unknown state: this authorization was not started here (or was purged); "
                                  "start it again from the Connections page", field="state")
        if row.used_at is not None:
            raise OAuthStateError("this authorization was already completed; start it again to reconnect",
                                  field="state")
        if row.expires_at <= now:
            raise OAuthStateError(f"this authorization expired (it is good for {STATE_TTL_S // 60} minutes); "
                                  "start it again", field="state")
        claimed = conn.execute(update(oauth_states).where(
            oauth_states.c.state_hash == state_hash, oauth_states.c.used_at.is_(None),
        ).values(used_at=now))
        if claimed.rowcount != 1:  # pragma: no cover - the row lock makes this unreachable
            raise OAuthStateError("this authorization was already completed", field="state")
    try:
        verifier = source.keyring().decrypt(row.code_verifier, verifier_aad(state_hash))
    except DecryptionError:
        raise OAuthStateError("this authorization cannot be completed (the encryption key changed since it began); "
                              "start it again", field="state") from None
    return ConsumedAuthorization(row.connection, verifier, row.redirect_uri, row.created_at)


def purge_authorizations(engine: Engine, clock: Callable[[], datetime]) -> int:
    """Delete every expired or used pending authorization; returns how many."""
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        result = conn.execute(delete(oauth_states).where(
            (oauth_states.c.expires_at <= now) | oauth_states.c.used_at.is_not(None)
        ))
        return int(result.rowcount)


__all__ = [
    "ConsumedAuthorization",
    "PendingAuthorization",
    "begin_authorization",
    "consume_authorization",
    "oauth_states",
    "purge_authorizations",
]
