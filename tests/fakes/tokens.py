"""A token registry shared by the fake OAuth server and the fake APIs that accept its bearer tokens.

Run ``FakeGoogleOAuth(tokens=registry)`` beside ``FakeGoogleAds(tokens=registry)`` / ``FakeGA4(tokens=registry)``:
access tokens the OAuth fake issues are then accepted by the API fakes (when their scopes fit), and a
test can expire or revoke tokens on demand. Tokens can also be added directly (``registry.grant(...)``)
for tests that do not exercise the OAuth flow.

Time is a clock the registry owns: ``advance(seconds)`` moves it forward so tokens reach their expiry
without sleeping.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import Enum


class TokenState(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # never issued, or revoked


@dataclass
class AccessToken:
    token: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    """On the registry's clock (seconds)."""


@dataclass
class RefreshToken:
    token: str
    client_id: str
    scopes: frozenset[str]
    revoked: bool = False
    access_tokens: list[str] = field(default_factory=list)


class TokenRegistry:
    """Thread-safe store of issued access and refresh tokens."""

    def __init__(self, access_lifetime: int = 3599) -> None:
        self.access_lifetime = access_lifetime
        """Seconds an access token lives (Google answers ``expires_in: 3599``)."""
        self._lock = threading.Lock()
        self._offset = 0.0
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}

    # -- clock
    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the registry's clock forward (tokens expire without waiting)."""
        with self._lock:
            self._offset += seconds

    # -- issuing
    def grant(self, token: str | None = None, scopes: set[str] | frozenset[str] | tuple[str, ...] = (),
              client_id: str = "test-client", lifetime: int | None = None) -> str:
        """Register a valid access token (random when ``token`` is None) and return it."""
        token = token or "ya29.fake-" + secrets.token_urlsafe(24)
        life = self.access_lifetime if lifetime is None else lifetime
        with self._lock:
            self._access[token] = AccessToken(token, client_id, frozenset(scopes), self.now() + life)
        return token

    def grant_refresh(self, client_id: str, scopes: set[str] | frozenset[str] | tuple[str, ...],
                      token: str | None = None) -> str:
        """Register a refresh token and return it."""
        token = token or "1//fake-" + secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[token] = RefreshToken(token, client_id, frozenset(scopes))
        return token

    def refresh(self, refresh_token: str, client_id: str) -> AccessToken | None:
        """A new access token for a live refresh token of ``client_id``; None when revoked/unknown/foreign."""
        with self._lock:
            record = self._refresh.get(refresh_token)
            if record is None or record.revoked or record.client_id != client_id:
                return None
        access = self.grant(scopes=record.scopes, client_id=client_id)
        with self._lock:
            record.access_tokens.append(access)
            return self._access[access]

    # -- checking
    def check(self, token: str | None) -> TokenState:
        """VALID, EXPIRED (past its lifetime or ``expire``d) or UNKNOWN (never issued, or revoked)."""
        if not token:
            return TokenState.UNKNOWN
        with self._lock:
            record = self._access.get(token)
            if record is None:
                return TokenState.UNKNOWN
            return TokenState.VALID if self.now() < record.expires_at else TokenState.EXPIRED

    def has_scope(self, token: str, scope: str) -> bool:
        """Whether the token carries ``scope`` (tokens granted with no scopes are allowed everything)."""
        with self._lock:
            record = self._access.get(token)
            return record is not None and (not record.scopes or scope in record.scopes)

    def access(self, token: str) -> AccessToken | None:
        with self._lock:
            return self._access.get(token)

    # -- invalidating
    def expire(self, token: str | None = None) -> None:
        """Expire one access token, or every access token when ``token`` is None."""
        with self._lock:
            targets = [self._access[token]] if token else list(self._access.values())
            for record in targets:
                record.expires_at = self.now() - 1

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token and every access token minted from it (as Google's revoke endpoint does)."""
        with self._lock:
            record = self._refresh[refresh_token]
            record.revoked = True
            for access in record.access_tokens:
                self._access.pop(access, None)

    def link(self, refresh_token: str, access_token: str) -> None:
        """Record that ``access_token`` was minted with ``refresh_token`` (so revoking one drops the other)."""
        with self._lock:
            self._refresh[refresh_token].access_tokens.append(access_token)
