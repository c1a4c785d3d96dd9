"""Connector connections: create, list, update, delete, test, and re-encrypt under a new key (``connections``).

A connection is a name, a connector kind (growthos.sources.connectors.REGISTRY), plain settings and secrets.
Which values are secrets is the connector's ``fields`` (``secret=True``): those are stored only as AES-256-GCM
ciphertexts bound to the connection and field (growthos.security.crypto), shown back masked (``••••`` and at
most the last 4 characters), and decrypted only by ``connection_config``, for the connector.

Every write that encrypts takes the table's write lock first (SQLite's write transaction; on PostgreSQL a
SHARE ROW EXCLUSIVE table lock) and reads the key inside it, so a concurrent rotation never leaves a value
encrypted with a key that is about to be dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import Connection as DBConnection
from sqlalchemy import Engine, Row, delete, insert, select, text, update

from growthos.core.errors import ConfigError, Conflict, GrowthOSError, InvalidInput, NotFound
from growthos.security.crypto import (
    DecryptionError,
    EncryptionKey,
    Keyring,
    KeySource,
    associated_data,
    encrypt,
    key_id_of,
)
from growthos.sources.connectors import ConfigField, ConnectionConfig, Connector
from growthos.store import validate
from growthos.store.engine import read_transaction, write_transaction
from growthos.store.schema import connections
from growthos.store.types import as_utc

log = logging.getLogger("growthos.store.connections")

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}", re.ASCII)
"""Connection names: lowercase letters, digits and dashes, at most 64, not starting with a dash."""
MASK = "••••"
"""What a secret is shown as; followed by its last 4 characters when it has at least ``MIN_SHOWN_LENGTH``."""
MIN_SHOWN_LENGTH = 12
"""Shorter secrets are shown as the mask alone (4 characters of a short secret are too much of it)."""
MAX_SECRET_LENGTH = 8192
"""Longest secret value accepted (service-account JSON keys are a few KB)."""
MAX_SETTING_LENGTH = 2048
"""Longest plain setting string accepted."""
MAX_MESSAGE_LENGTH = 2000
"""A test's message is cut to this many characters."""


@dataclass(frozen=True)
class Connection:
    """A connection as shown: its secrets masked (never their plaintext nor ciphertext)."""

    name: str
    kind: str
    """The connector's registry name."""
    settings: dict[str, Any]
    """Plain settings."""
    masked_secrets: dict[str, str]
    """Secret field -> ``••••`` and at most its last 4 characters."""
    api_base_url: str | None
    created_at: datetime
    """Aware UTC datetime, as are the other datetimes."""
    updated_at: datetime
    last_test_at: datetime | None
    last_test_ok: bool | None
    """Outcome of the last test; None if never tested."""
    last_test_message: str | None
    """What answered, or the API's error."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO 8601 datetimes) for the API and ``--json`` output."""
        return {
            "name": self.name,
            "kind": self.kind,
            "settings": self.settings,
            "secrets": self.masked_secrets,
            "api_base_url": self.api_base_url,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_test": None if self.last_test_at is None else {
                "at": self.last_test_at.isoformat(), "ok": self.last_test_ok, "message": self.last_test_message,
            },
        }


@dataclass(frozen=True)
class ConnectionTest:
    """The outcome of ``test_connection``."""

    name: str
    ok: bool
    message: str
    """What answered (on success) or the API's error, with any secret of the connection masked out."""
    tested_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "message": self.message, "tested_at": self.tested_at.isoformat()}


@dataclass(frozen=True)
class Rotation:
    """The outcome of ``rotate_encryption_key``."""

    new_key_id: str
    previous_key_ids: tuple[str, ...]
    """Keys that encrypted something before (now unused)."""
    connections: int
    """Connections whose secrets were re-encrypted."""
    secrets: int
    """Secrets re-encrypted."""
    new_key: str | None = None
    """The new key (base64), only when it lives in GROWTHOS_ENCRYPTION_KEY: the operator must set it."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"new_key_id": self.new_key_id, "previous_key_ids": list(self.previous_key_ids),
                                "connections": self.connections, "secrets": self.secrets}
        if self.new_key is not None:
            data["new_key"] = self.new_key
        return data


def connectors() -> Mapping[str, Connector]:
    """The connector registry, with every shipped connector package imported (each registers itself)."""
    from growthos.sources.sync import load_connectors

    return load_connectors()


def describe_connectors() -> list[dict[str, Any]]:
    """Each connector's kind, label and fields (name, label, secret, required, help), for forms and the CLI."""
    return [
        {"kind": c.name, "label": c.label, "fields": [
            {"name": f.name, "label": f.label, "secret": f.secret, "required": f.required, "help": f.help}
            for f in c.fields
        ]}
        for c in sorted(connectors().values(), key=lambda c: c.name)
    ]


def mask(secret: str) -> str:
    """``••••`` and the last 4 characters of a secret of at least 12 characters; the mask alone otherwise."""
    return MASK + secret[-4:] if len(secret) >= MIN_SHOWN_LENGTH else MASK


# -- create, read, update, delete ---------------------------------------------------------------------------


def create_connection(
    engine: Engine, clock: Callable[[], datetime], source: KeySource, name: str, kind: str,
    values: Mapping[str, Any] | None, api_base_url: str | None = None,
) -> Connection:
    _check_name(name)
    connector = _connector(kind)
    plain, secret = _split(connector, values)
    _check_required(connector, plain, secret)
    url = _check_url(api_base_url)
    now = as_utc(clock())
    with _locked(engine) as conn:
        if conn.execute(select(connections.c.id).where(connections.c.name == name)).first() is not None:
            raise Conflict(f"a connection named {name!r} already exists", field="name")
        keyring = _writing_keyring(conn, source)
        sealed = {f: keyring.encrypt(v, associated_data(name, f)) for f, v in secret.items()}
        conn.execute(insert(connections).values(
            name=name, kind=kind, settings=plain, secrets=sealed, api_base_url=url, created_at=now, updated_at=now,
        ))
    return Connection(name, kind, plain, {f: mask(v) for f, v in secret.items()}, url, now, now, None, None, None)


def list_connections(engine: Engine, source: KeySource) -> list[Connection]:
    with read_transaction(engine) as conn:
        rows = conn.execute(select(connections).order_by(connections.c.name)).all()
    keyring = _reading_keyring(source, rows)
    return [_to_connection(row, keyring) for row in rows]


def get_connection(engine: Engine, source: KeySource, name: str) -> Connection:
    row = _row(engine, name)
    return _to_connection(row, _reading_keyring(source, [row]))


def connection_config(engine: Engine, source: KeySource, name: str) -> ConnectionConfig:
    """What the connector gets: settings and decrypted secrets (held in memory only)."""
    row = _row(engine, name)
    keyring = _reading_keyring(source, [row], strict=True)
    secrets = {f: keyring.decrypt(token, associated_data(row.name, f)) for f, token in row.secrets.items()}
    return ConnectionConfig(name=row.name, kind=row.kind, settings=dict(row.settings), secrets=secrets,
                            api_base_url=row.api_base_url)


def update_connection(
    engine: Engine, clock: Callable[[], datetime], source: KeySource, name: str,
    values: Mapping[str, Any] | None = None, api_base_url: str | None | EllipsisType = ...,
) -> Connection:
    """Change the given values only: a secret left out keeps its value; None (or "") removes an optional one.

    ``api_base_url``: ``...`` keeps it, None removes it.
    """
    validate.text(name, "name", max_length=64, allow_empty=False)
    now = as_utc(clock())
    with _locked(engine) as conn:
        row = conn.execute(select(connections).where(connections.c.name == name)).one_or_none()
        if row is None:
            raise NotFound(f"no connection named {name!r}", field="name")
        connector = _connector(row.kind)
        given = dict(_check_values(values))
        removed = {f for f, v in given.items() if v is None or v == ""}
        plain, secret = _split(connector, {f: v for f, v in given.items() if f not in removed}, allow_removed=removed)
        keyring = _writing_keyring(conn, source)
        settings = {f: v for f, v in row.settings.items() if f not in removed} | plain
        sealed = {f: t for f, t in row.secrets.items() if f not in removed and f not in secret}
        _check_required(connector, settings, {**sealed, **secret})
        sealed |= {f: keyring.encrypt(v, associated_data(name, f)) for f, v in secret.items()}
        url = row.api_base_url if api_base_url is ... else _check_url(api_base_url)
        conn.execute(update(connections).where(connections.c.id == row.id).values(
            settings=settings, secrets=sealed, api_base_url=url, updated_at=now,
        ))
        updated = conn.execute(select(connections).where(connections.c.id == row.id)).one()
    return _to_connection(updated, keyring)


def delete_connection(engine: Engine, name: str) -> None:
    validate.text(name, "name", max_length=64, allow_empty=False)
    with write_transaction(engine) as conn:
        if conn.execute(delete(connections).where(connections.c.name == name)).rowcount == 0:
            raise NotFound(f"no connection named {name!r}", field="name")


def record_test_result(engine: Engine, clock: Callable[[], datetime], name: str, ok: bool, message: str) -> datetime:
    """Store the outcome of a test as of now; returns that time."""
    validate.text(name, "name", max_length=64, allow_empty=False)
    if not isinstance(ok, bool):
        raise InvalidInput(f"ok must be true or false; got {ok!r}", field="ok")
    validate.text(message, "message")
    now = as_utc(clock())
    with write_transaction(engine) as conn:
        result = conn.execute(update(connections).where(connections.c.name == name).values(
            last_test_at=now, last_test_ok=ok, last_test_message=message[:MAX_MESSAGE_LENGTH],
        ))
        if result.rowcount == 0:
            raise NotFound(f"no connection named {name!r}", field="name")
    return now


def run_test(engine: Engine, clock: Callable[[], datetime], source: KeySource, name: str) -> ConnectionTest:
    """Ask the connector to make one authenticated call and record the outcome (any failure is an outcome)."""
    config = connection_config(engine, source, name)
    connector = connectors().get(config.kind)
    if connector is None:
        raise ConfigError(f"connection {name!r} is of kind {config.kind!r}, which is not installed", field="kind")
    try:
        ok, message = True, str(connector.test(config))
    except GrowthOSError as exc:
        ok, message = False, exc.message
    except Exception as exc:  # a connector bug or a network error is still this test's outcome
        ok, message = False, f"{type(exc).__name__}: {exc}"
        log.warning("testing connection %s failed unexpectedly: %s", name, type(exc).__name__)
    message = _scrub(message, config.secrets.values())[:MAX_MESSAGE_LENGTH]
    tested_at = record_test_result(engine, clock, name, ok, message)
    return ConnectionTest(name, ok, message, tested_at)


# -- key rotation -------------------------------------------------------------------------------------------


def rotate_encryption_key(engine: Engine, source: KeySource, new_key: EncryptionKey | None = None) -> Rotation:
    """Re-encrypt every secret under a new key in one transaction.

    Every secret is decrypted first (any failure changes nothing). The new key is installed (written
    atomically, the old one kept aside as a backup) before the commit and the backup is removed after it;
    if the commit fails, the old key is put back.
    """
    new = new_key or EncryptionKey.generate()
    old: Keyring | None = None
    installed = False
    try:
        with _locked(engine) as conn:
            rows = conn.execute(select(connections.c.id, connections.c.name, connections.c.secrets)).all()
            old = source.keyring(create=True)
            previous = sorted({key_id_of(t) for row in rows for t in row.secrets.values()})
            resealed: dict[int, dict[str, str]] = {}
            for row in rows:
                plain = {f: old.decrypt(t, associated_data(row.name, f)) for f, t in row.secrets.items()}
                resealed[row.id] = {f: encrypt(new, v, associated_data(row.name, f)) for f, v in plain.items()}
            for row_id, sealed in resealed.items():
                conn.execute(update(connections).where(connections.c.id == row_id).values(secrets=sealed))
            installed = True  # from here on a failure puts the old key back, whatever install got to
            source.install(new)
            # leaving the block commits; if that fails, the old key is put back below
    except BaseException:
        if installed and old is not None:
            source.restore(old.current)
        raise
    source.discard_previous()
    log.info("re-encrypted %d connections under key %s", len(rows), new.key_id)
    return Rotation(
        new_key_id=new.key_id, previous_key_ids=tuple(previous), connections=sum(1 for r in rows if r.secrets),
        secrets=sum(len(s) for s in resealed.values()), new_key=new.encode() if source.rotation_prints_key else None,
    )


# -- helpers ------------------------------------------------------------------------------------------------


@contextmanager
def _locked(engine: Engine) -> Iterator[DBConnection]:
    """A write transaction holding the connections table's write lock (see the module docstring)."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE connections IN SHARE ROW EXCLUSIVE MODE"))
        yield conn


def _writing_keyring(conn: DBConnection, source: KeySource) -> Keyring:
    """The keyring to encrypt with; refuses when stored secrets use a key this process lacks (a stale key would
    write values nobody can read after a rotation)."""
    keyring = source.keyring(create=True)
    in_use = {key_id_of(t) for (sealed,) in conn.execute(select(connections.c.secrets)) for t in sealed.values()}
    unknown = sorted(k for k in in_use if not keyring.knows(k))
    if unknown:
        raise ConfigError(
            f"stored secrets are encrypted with key {', '.join(unknown)}, which is not available here (the current "
            f"key {keyring.current.key_id} comes from {keyring.source}); was the key rotated by another process?",
            field="encryption_key",
        )
    return keyring


def _reading_keyring(source: KeySource, rows: list[Row[Any]], *, strict: bool = False) -> Keyring | None:
    """The keyring, or None when nothing needs decrypting (no key file is created just to read).

    Not ``strict`` (listing), a missing or unusable key shows every secret as the bare mask instead of failing.
    """
    if not any(row.secrets for row in rows):
        return None
    if strict:
        return source.keyring()
    try:
        return source.keyring()
    except ConfigError as exc:
        log.warning("connection secrets shown masked: %s", exc.message)
        return None


def _row(engine: Engine, name: Any) -> Row[Any]:
    validate.text(name, "name", max_length=64, allow_empty=False)
    with read_transaction(engine) as conn:
        row = conn.execute(select(connections).where(connections.c.name == name)).one_or_none()
    if row is None:
        raise NotFound(f"no connection named {name!r}", field="name")
    return row


def _to_connection(row: Row[Any], keyring: Keyring | None) -> Connection:
    masked = {}
    for fieldname, token in row.secrets.items():
        try:
            masked[fieldname] = mask(keyring.decrypt(token, associated_data(row.name, fieldname))) if keyring else MASK
        except DecryptionError:
            masked[fieldname] = MASK
            log.warning("secret %s of connection %s cannot be decrypted", fieldname, row.name)
    return Connection(
        name=row.name, kind=row.kind, settings=dict(row.settings), masked_secrets=masked,
        api_base_url=row.api_base_url, created_at=row.created_at, updated_at=row.updated_at,
        last_test_at=row.last_test_at, last_test_ok=row.last_test_ok, last_test_message=row.last_test_message,
    )


def _check_name(name: Any) -> None:
    validate.text(name, "name", max_length=64, allow_empty=False)
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"name must be lowercase letters, digits and dashes (not starting with a dash); got {name!r}",
            field="name",
        )


def _connector(kind: Any) -> Connector:
    registry = connectors()
    if not isinstance(kind, str) or kind not in registry:
        known = ", ".join(sorted(registry)) or "none installed"
        raise InvalidInput(f"kind must be a known connector ({known}); got {kind!r}", field="kind")
    return registry[kind]


def _check_values(values: Any) -> Mapping[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise InvalidInput(f"values must be an object of field -> value; got {type(values).__name__}", field="values")
    return values


def _split(connector: Connector, values: Any, allow_removed: set[str] | None = None,
           ) -> tuple[dict[str, Any], dict[str, str]]:
    """Values as (plain settings, secrets), each checked against the connector's fields."""
    fields = {f.name: f for f in connector.fields}
    plain: dict[str, Any] = {}
    secret: dict[str, str] = {}
    for name, value in _check_values(values).items():
        spec = fields.get(name) if isinstance(name, str) else None
        if spec is None:
            raise InvalidInput(
                f"{name!r} is not a field of a {connector.name} connection (its fields: {', '.join(fields)})",
                field=str(name),
            )
        if value is None or value == "":
            continue
        if spec.secret:
            secret[name] = validate.text(value, name, max_length=MAX_SECRET_LENGTH)
        else:
            plain[name] = _check_setting(spec, value)
    for name in allow_removed or ():
        if name not in fields:
            raise InvalidInput(
                f"{name!r} is not a field of a {connector.name} connection (its fields: {', '.join(fields)})",
                field=name,
            )
    return plain, secret


def _check_setting(spec: ConfigField, value: Any) -> Any:
    if isinstance(value, str):
        return validate.text(value, spec.name, max_length=MAX_SETTING_LENGTH)
    if isinstance(value, (bool, int, float)):
        return validate.finite_number(value, spec.name) if isinstance(value, float) else value
    raise InvalidInput(f"{spec.name} must be a string, number or boolean; got {type(value).__name__}",
                       field=spec.name)


def _check_required(connector: Connector, plain: Mapping[str, Any], secret: Mapping[str, str]) -> None:
    for spec in connector.fields:
        if spec.required and spec.name not in plain and spec.name not in secret:
            raise InvalidInput(f"{spec.label} ({spec.name}) is required for a {connector.name} connection",
                               field=spec.name)


def _check_url(url: Any) -> str | None:
    if url is None or url == "":
        return None
    validate.text(url, "api_base_url", max_length=2048)
    if not re.match(r"https?://[^\s/]+", url, re.ASCII) or any(c.isspace() for c in url):
        raise InvalidInput(f"api_base_url must be an http:// or https:// URL; got {url!r}", field="api_base_url")
    return url.rstrip("/")


def _scrub(message: str, secrets: Any) -> str:
    """The message with every secret value (of at least 4 characters) replaced by its mask."""
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= 4:
            message = message.replace(value, mask(value))
    return message
