"""growthos.security.keys: what each scope allows, secret format and entropy, hashing, the visible prefix."""

from __future__ import annotations

import base64
import hashlib
import re
from itertools import product

import pytest

from growthos.security.keys import (
    PREFIX_RANDOM_CHARS,
    SCOPES,
    generate_secret,
    hash_secret,
    key_prefix,
    scope_allows,
    verify_secret,
)

ALLOWED = {
    ("admin", "admin"), ("admin", "read"), ("admin", "ingest"),
    ("read", "read"),
    ("ingest", "ingest"),
}
SECRET_PATTERN = re.compile(r"gos_(read|ingest|admin)_[A-Za-z0-9_-]{43}")


def test_scopes() -> None:
    assert SCOPES == ("read", "ingest", "admin")


@pytest.mark.parametrize(("granted", "required"), list(product(SCOPES, SCOPES)))
def test_scope_matrix(granted: str, required: str) -> None:
    assert scope_allows(granted, required) is ((granted, required) in ALLOWED)


def test_write_only_keys_cannot_read_and_read_keys_cannot_write() -> None:
    assert not scope_allows("ingest", "read")
    assert not scope_allows("read", "ingest")
    assert not scope_allows("read", "admin") and not scope_allows("ingest", "admin")


@pytest.mark.parametrize("unknown", ["", "root", "ADMIN", "Read", " read", "*", None])
def test_unknown_scopes_allow_nothing(unknown) -> None:
    for scope in SCOPES:
        assert not scope_allows(unknown, scope)
        assert not scope_allows(scope, unknown)


@pytest.mark.parametrize("scope", SCOPES)
def test_secret_format_and_entropy(scope: str) -> None:
    secret = generate_secret(scope)
    assert SECRET_PATTERN.fullmatch(secret)
    assert secret.startswith(f"gos_{scope}_")
    random_part = secret[len(f"gos_{scope}_"):]
    assert len(base64.urlsafe_b64decode(random_part + "=")) == 32  # 256 bits


def test_secrets_are_unique() -> None:
    secrets = {generate_secret(scope) for scope in SCOPES for _ in range(500)}
    assert len(secrets) == 1500


@pytest.mark.parametrize("scope", ["", "write", "ADMIN", "read_more"])
def test_secret_for_an_unknown_scope_is_refused(scope: str) -> None:
    with pytest.raises(ValueError, match="scope"):
        generate_secret(scope)


def test_hash_is_deterministic_sha256_hex() -> None:
    secret = generate_secret("read")
    digest = hash_secret(secret)
    assert digest == hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert secret not in digest
    assert hash_secret(secret + "x") != digest
    assert hash_secret(secret.upper()) != digest


def test_hash_accepts_any_string() -> None:
    for odd in ["", "ü✓", "\x00", "\udc80", "x" * 10_000]:
        assert len(hash_secret(odd)) == 64


def test_verify_secret() -> None:
    secret = generate_secret("admin")
    assert verify_secret(secret, hash_secret(secret))
    assert not verify_secret(secret[:-1], hash_secret(secret))
    assert not verify_secret(hash_secret(secret), hash_secret(secret))  # the hash is not a secret


@pytest.mark.parametrize("scope", SCOPES)
def test_prefix_is_scope_and_a_few_random_characters(scope: str) -> None:
    secret = generate_secret(scope)
    prefix = key_prefix(secret)
    assert prefix == secret[: len(f"gos_{scope}_") + PREFIX_RANDOM_CHARS]
    assert len(prefix) == len(f"gos_{scope}_") + PREFIX_RANDOM_CHARS <= 19
    assert len(secret) - len(prefix) >= 35  # >= 208 bits stay hidden


def test_prefixes_tell_keys_apart() -> None:
    prefixes = {key_prefix(generate_secret("read")) for _ in range(1000)}
    assert len(prefixes) == 1000


@pytest.mark.parametrize(
    ("value", "prefix"),
    [("", ""), ("a", ""), ("abc", "a"), ("gos_read_short", "gos_rea"), ("x" * 100, "x" * 12),
     ("gos_root_" + "A" * 43, "gos_root_AAA")],
)
def test_prefix_of_other_strings_is_never_the_whole(value: str, prefix: str) -> None:
    assert key_prefix(value) == prefix
    assert len(key_prefix(value)) <= len(value) // 2


def test_package_exports() -> None:
    import growthos.security as security

    assert security.scope_allows is scope_allows and security.SCOPES is SCOPES
