"""API-key secrets and scopes: generation, hashing, the visible prefix, and what each scope allows.

A secret looks like ``gos_read_<43 url-safe characters>``: ``secrets.token_urlsafe(32)`` is 256 random
bits. Only its SHA-256 hash is stored, with a short prefix kept visible so listings can tell keys apart.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCOPES: tuple[str, ...] = ("read", "ingest", "admin")
"""``read``: dashboard and read API; ``ingest``: write-only (send events, cannot read); ``admin``: everything."""

SECRET_BYTES = 32
"""Random bytes per secret (256 bits of entropy)."""

PREFIX_RANDOM_CHARS = 8
"""Random characters shown after ``gos_<scope>_`` in a key's prefix (48 of the 256 bits; 208 stay hidden)."""

_MARKER = "gos_"


def scope_allows(granted: str, required: str) -> bool:
    """Whether a key of scope ``granted`` may do what needs ``required``.

    ``admin`` allows everything, ``read`` allows read, ``ingest`` allows ingest only (write-only keys
    cannot read). Unknown scopes, on either side, allow nothing.
    """
    if granted not in SCOPES or required not in SCOPES:
        return False
    return granted == "admin" or granted == required


def generate_secret(scope: str) -> str:
    """A new secret for a key of ``scope``: ``gos_<scope>_`` then 256 random bits, URL-safe base64."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}")
    return f"{_MARKER}{scope}_" + secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest of ``secret``: what the database stores, and looks keys and sessions up by.

    Not bcrypt/scrypt/argon2: those slow hashes protect low-entropy passwords from guessing; these secrets
    are 256 random bits, which no guessing reaches, so a fast hash is as safe and costs nothing per request.
    """
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def verify_secret(secret: str, secret_hash: str) -> bool:
    """Whether ``secret`` hashes to ``secret_hash`` (compared in constant time)."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def key_prefix(secret: str) -> str:
    """The part of ``secret`` safe to show in listings: ``gos_<scope>_`` and 8 random characters.

    For a string not made by ``generate_secret``: its first 12 characters, and never more than half of it.
    """
    scope, sep, rest = secret[len(_MARKER):].partition("_")
    if secret.startswith(_MARKER) and sep and scope in SCOPES and len(rest) > 2 * PREFIX_RANDOM_CHARS:
        return f"{_MARKER}{scope}_{rest[:PREFIX_RANDOM_CHARS]}"
    return secret[: min(12, len(secret) // 2)]
