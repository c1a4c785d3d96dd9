"""Security primitives shared by the store, the server and the CLI (pure functions, no I/O)."""

from growthos.security.keys import SCOPES, generate_secret, hash_secret, key_prefix, scope_allows, verify_secret

__all__ = ["SCOPES", "generate_secret", "hash_secret", "key_prefix", "scope_allows", "verify_secret"]
