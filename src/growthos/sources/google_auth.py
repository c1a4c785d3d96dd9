"""Google OAuth access tokens for the Google Ads and GA4 connectors, and Google's JSON error shape.

A connection holds an OAuth client (``client_id`` setting, ``client_secret`` secret) and a
``refresh_token`` secret (obtained by the browser authorization flow, which is not part of this module).
``GoogleTokenProvider`` trades the refresh token for an access token at the token endpoint
(``POST https://oauth2.googleapis.com/token``, form-encoded ``grant_type=refresh_token``; a ``token_url``
setting overrides the endpoint), keeps it until shortly before ``expires_in`` runs out and refreshes it
then. An API answering 401 ``UNAUTHENTICATED`` (a token revoked or expired early) gets one fresh token and
one more try: ``call_with_refresh``. A refresh token Google no longer accepts (``invalid_grant``: revoked,
expired, password changed) is an ``AuthError`` telling the user to reconnect.

A connection may instead carry a plain ``access_token`` secret (tests, short-lived manual setups): it is
used as is and cannot be refreshed.

Also shared by both connectors: Google's JSON error shape (``google_error_of``, ``retry_delay_of``) and
the day windows their daily reports are read in (``first_day``, ``day_windows``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import orjson

from growthos.sources.http import (
    AuthError,
    RetryableConnectorError,
    RetryPolicy,
    TerminalConnectorError,
    Timeouts,
)
from growthos.sources.http.client import error_text
from growthos.sources.http.retry import parse_duration, parse_retry_after

if TYPE_CHECKING:
    from growthos.sources.connectors import ConnectionConfig

TOKEN_URL = "https://oauth2.googleapis.com/token"
REFRESH_MARGIN = 60.0
"""Seconds before ``expires_in`` runs out at which a cached access token is refreshed."""

T = TypeVar("T")


class GoogleTokenProvider:
    """``headers()`` → ``{"Authorization": "Bearer …"}`` with a valid access token, refreshed as needed."""

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        access_token: str | None = None,
        token_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        clock: Callable[[], float] = time.monotonic,
        margin: float = REFRESH_MARGIN,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if refresh_token:
            missing = [name for name, value in (("client_id", client_id), ("client_secret", client_secret))
                       if not value]
            if missing:
                raise AuthError(f"the connection has a refresh token but no OAuth {missing[0]}", field=missing[0])
        elif not access_token:
            raise AuthError("the connection has no Google refresh token: connect it to Google first",
                            field="refresh_token")
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.token_url = token_url or TOKEN_URL
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts(read=30.0)
        self.clock = clock
        self.margin = margin
        self._transport = transport
        self._lock = threading.Lock()
        self._token: str | None = access_token if not refresh_token else None
        self._expires_at: float | None = None
        self.refreshes = 0
        """Access tokens obtained from the token endpoint so far."""
        self.requests = 0
        """Requests sent to the token endpoint (retries included)."""

    @classmethod
    def from_config(cls, config: ConnectionConfig, **options: Any) -> GoogleTokenProvider:
        """A provider for a connection: ``client_id`` and ``token_url`` settings, ``client_secret``,
        ``refresh_token`` (or ``access_token``) secrets."""
        settings, secrets = config.settings, config.secrets
        return cls(
            client_id=settings.get("client_id") or secrets.get("client_id"),
            client_secret=secrets.get("client_secret"),
            refresh_token=secrets.get("refresh_token"),
            access_token=secrets.get("access_token"),
            token_url=settings.get("token_url"),
            **options,
        )

    @property
    def can_refresh(self) -> bool:
        return bool(self._refresh_token)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def token(self) -> str:
        """A cached access token that is still good for ``margin`` seconds, else a fresh one."""
        with self._lock:
            if self._token is not None and (self._expires_at is None or self.clock() < self._expires_at):
                return self._token
            if not self.can_refresh:
                state = "has expired" if self._token is not None else "is missing"
                raise AuthError(f"the Google access token {state} and the connection has no refresh token: "
                                "connect it to Google (Connections page) or set refresh_token", field="refresh_token")
            self._token, self._expires_at = self._refresh()
            return self._token

    def invalidate(self) -> None:
        """Forget the cached access token (the API refused it): the next ``token()`` asks for a new one."""
        with self._lock:
            if self.can_refresh:
                self._token = None
                self._expires_at = None

    def _refresh(self) -> tuple[str, float | None]:
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token or "",
                "client_id": self.client_id or "", "client_secret": self._client_secret or ""}

        def attempt() -> Any:
            self.requests += 1
            try:
                with httpx.Client(timeout=self.timeouts.httpx(), transport=self._transport) as http:
                    response = http.post(self.token_url, data=form, headers={"Accept": "application/json"})
            except httpx.TimeoutException as exc:
                raise RetryableConnectorError(f"Google token endpoint: timed out ({type(exc).__name__})") from exc
            except httpx.TransportError as exc:
                raise RetryableConnectorError(f"Google token endpoint: {type(exc).__name__}: {exc}") from exc
            return _token_response(response)

        started = self.clock()
        body = self.retry.run(attempt)
        self.refreshes += 1
        lifetime = body.get("expires_in")
        try:
            expires_at = started + max(0.0, float(lifetime) - min(self.margin, float(lifetime) / 2))
        except (TypeError, ValueError):
            expires_at = None
        return str(body["access_token"]), expires_at


def _token_response(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if status == 429 or status >= 500:
        raise RetryableConnectorError(f"Google token endpoint: HTTP {status}: {error_text(response)}",
                                      retry_after=parse_retry_after(response.headers.get("Retry-After")),
                                      http_status=status)
    if status >= 400:
        error = body.get("error") if isinstance(body, Mapping) else None
        description = body.get("error_description") if isinstance(body, Mapping) else None
        detail = f"{error}: {description}" if description else str(error or error_text(response))
        if error == "invalid_grant":
            raise AuthError(f"Google refused the refresh token ({detail}). The authorization was revoked or has "
                            f"expired: reconnect the connection to Google.", http_status=status,
                            field="refresh_token")
        if error in ("invalid_client", "unauthorized_client") or status == 401:
            raise AuthError(f"Google refused the OAuth client ({detail}): check the client ID and client secret.",
                            http_status=status, field="client_secret")
        raise TerminalConnectorError(f"Google token endpoint: HTTP {status}: {detail}", http_status=status)
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
        raise RetryableConnectorError(
            f"Google token endpoint: HTTP {status}: malformed or truncated answer ({len(response.content)} bytes)",
            http_status=status)
    return dict(body)


def call_with_refresh(tokens: GoogleTokenProvider, call: Callable[[], T]) -> T:
    """``call()``; when the API answers 401 (the access token was refused), once more with a fresh token."""
    try:
        return call()
    except AuthError as exc:
        if exc.http_status != 401 or not tokens.can_refresh:
            raise
        tokens.invalidate()
    return call()


# -- Google's JSON error shape -------------------------------------------------------------------------


def google_error_of(body: Any) -> Mapping[str, Any] | None:
    """The ``error`` object of a Google error body: ``{"error": {...}}`` or a stream array holding one."""
    if isinstance(body, list):
        for item in body:
            found = google_error_of(item)
            if found is not None:
                return found
        return None
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        return body["error"]
    return None


def retry_delay_of(error: Mapping[str, Any]) -> float | None:
    """The wait Google asks for: a ``google.rpc.RetryInfo`` detail or a Google Ads ``quotaErrorDetails``."""
    for detail in error.get("details") or []:
        if not isinstance(detail, Mapping):
            continue
        if "retryDelay" in detail:
            delay = parse_duration(detail.get("retryDelay"))
            if delay is not None:
                return delay
        for item in detail.get("errors") or []:
            quota = ((item or {}).get("details") or {}).get("quotaErrorDetails") or {}
            delay = parse_duration(quota.get("retryDelay"))
            if delay is not None:
                return delay
    return None


def error_message(error: Mapping[str, Any]) -> str:
    """``STATUS: message`` of a Google error object."""
    status, message = error.get("status"), error.get("message")
    return ": ".join(str(part) for part in (status, message) if part) or orjson.dumps(error).decode()


RETRYABLE_STATUSES = frozenset({"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED", "UNKNOWN"})
"""google.rpc codes worth another try (RESOURCE_EXHAUSTED is decided by each API)."""


# -- Day-by-day reports -------------------------------------------------------------------------------
# Both Google APIs report metrics per day. A sync reads from the saved cursor (the last day stored
# completely) minus a lookback, for conversions that are attributed late, up to yesterday (today is not
# over), in windows of a few weeks; each window's records are stored with the cursor moved to its last day.

DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_HISTORY_DAYS = 730
"""Days read by a first sync when the connection has no ``start_date``."""
DEFAULT_WINDOW_DAYS = 30


def first_day(cursor: str | None, lookback: timedelta, today: date, start_date: str | None = None) -> date:
    """The first day to read: the cursor minus the lookback, else ``start_date``, else two years back."""
    if cursor:
        return date.fromisoformat(cursor[:10]) - timedelta(days=max(0, lookback.days))
    if start_date:
        try:
            return date.fromisoformat(str(start_date))
        except ValueError:
            raise TerminalConnectorError(f"invalid start date {start_date!r}: expected YYYY-MM-DD",
                                         field="start_date") from None
    return today - timedelta(days=DEFAULT_HISTORY_DAYS)


def day_windows(first: date, last: date, days: int = DEFAULT_WINDOW_DAYS) -> list[tuple[date, date]]:
    """``[first, last]`` cut into consecutive windows of at most ``days`` days (none when first > last)."""
    if days < 1:
        raise ValueError("window must be at least one day")
    windows = []
    while first <= last:
        end = min(last, first + timedelta(days=days - 1))
        windows.append((first, end))
        first = end + timedelta(days=1)
    return windows


def utc_today() -> date:
    return datetime.now(UTC).date()
