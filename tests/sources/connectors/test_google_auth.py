"""The Google access-token provider against the fake OAuth server (and the GA4 fake, which accepts the tokens
it issues through a shared TokenRegistry), over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fakes.ga4 import FakeGA4
from fakes.google_oauth import ADS_SCOPE, GA4_SCOPE, FakeGoogleOAuth
from fakes.shopify import ManualClock
from fakes.tokens import TokenRegistry

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.ga4 import sync_ga4
from growthos.sources.google_auth import (
    GoogleTokenProvider,
    call_with_refresh,
    day_windows,
    first_day,
    retry_delay_of,
)
from growthos.sources.http import AuthError, RetryPolicy, TerminalConnectorError

CLIENT = "test-client.apps.googleusercontent.com"
SECRET = "test-secret-value"


@pytest.fixture
def registry() -> TokenRegistry:
    return TokenRegistry()


@pytest.fixture
def oauth(registry: TokenRegistry) -> Iterator[FakeGoogleOAuth]:
    fake = FakeGoogleOAuth(tokens=registry, client_id=CLIENT, client_secret=SECRET)
    with fake.serve():
        yield fake


def _provider(oauth: FakeGoogleOAuth, clock: ManualClock, refresh: str, **kw) -> GoogleTokenProvider:
    kw.setdefault("client_secret", SECRET)
    return GoogleTokenProvider(client_id=CLIENT, refresh_token=refresh, token_url=f"{oauth.base_url}/token",
                               retry=RetryPolicy(sleep=clock.advance, random=lambda: 0.5), clock=clock, **kw)


def _token_requests(oauth: FakeGoogleOAuth) -> list:
    return oauth.log.matching(r"^/token$", method="POST")


def test_a_refresh_token_is_traded_for_an_access_token_that_is_cached(oauth, registry, clock):
    _, refresh = oauth.issue((GA4_SCOPE,))
    tokens = _provider(oauth, clock, refresh)
    first = tokens.token()
    assert tokens.headers() == {"Authorization": f"Bearer {first}"} and tokens.token() == first
    assert registry.check(first).value == "valid" and registry.has_scope(first, GA4_SCOPE)
    requests = _token_requests(oauth)
    assert len(requests) == 1 and tokens.refreshes == 1
    assert requests[0].form() == {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": CLIENT,
                                  "client_secret": SECRET}


def test_the_token_is_refreshed_shortly_before_it_expires(oauth, registry, clock):
    _, refresh = oauth.issue((GA4_SCOPE,))
    tokens = _provider(oauth, clock, refresh)
    first = tokens.token()
    # Google's access tokens live expires_in = 3599 s; the provider keeps one until 60 s before that.
    clock.advance(3599 - 60 - 1)
    registry.advance(3599 - 60 - 1)
    assert tokens.token() == first and len(_token_requests(oauth)) == 1
    clock.advance(2)
    registry.advance(2)
    second = tokens.token()
    assert second != first and len(_token_requests(oauth)) == 2
    registry.advance(60)
    assert registry.check(first).value == "expired" and registry.check(second).value == "valid"


def test_a_revoked_refresh_token_asks_the_user_to_reconnect(oauth, registry, clock):
    _, refresh = oauth.issue((GA4_SCOPE,))
    registry.revoke(refresh)
    tokens = _provider(oauth, clock, refresh)
    with pytest.raises(AuthError) as info:
        tokens.token()
    error = info.value
    assert "invalid_grant" in error.message and "Token has been expired or revoked" in error.message
    assert "reconnect" in error.message and error.field == "refresh_token" and error.http_status == 400
    assert refresh not in error.message and SECRET not in error.message
    assert len(_token_requests(oauth)) == 1  # not retried


def test_a_wrong_client_secret_names_the_client_credentials(oauth, clock):
    _, refresh = oauth.issue((GA4_SCOPE,))
    with pytest.raises(AuthError) as info:
        _provider(oauth, clock, refresh, client_secret="not-the-secret").token()
    assert "invalid_client" in info.value.message and "client secret" in info.value.message
    assert info.value.field == "client_secret" and "not-the-secret" not in info.value.message


@pytest.mark.parametrize("fault", ["503", "429", "malformed", "truncated"])
def test_token_endpoint_failures_are_retried(oauth, clock, fault):
    _, refresh = oauth.issue((GA4_SCOPE,))
    {"503": lambda: oauth.faults.status(503),
     "429": lambda: oauth.faults.status(429, headers={"Retry-After": "3"}),
     "malformed": lambda: oauth.faults.malformed_json(),
     "truncated": lambda: oauth.faults.truncated()}[fault]()
    tokens = _provider(oauth, clock, refresh)
    assert tokens.token().startswith("ya29.")
    assert len(_token_requests(oauth)) == 2 and tokens.requests == 2 and tokens.refreshes == 1
    assert clock.sleeps == ([3.0] if fault == "429" else [0.25])


def test_a_connection_without_a_refresh_token_can_use_a_plain_access_token():
    tokens = GoogleTokenProvider.from_config(ConnectionConfig("x", "ga4", {}, {"access_token": "ya29.manual"}))
    assert tokens.headers() == {"Authorization": "Bearer ya29.manual"} and not tokens.can_refresh
    tokens.invalidate()
    assert tokens.token() == "ya29.manual"
    with pytest.raises(AuthError, match="no Google refresh token") as info:
        GoogleTokenProvider.from_config(ConnectionConfig("x", "ga4", {"client_id": CLIENT}, {}))
    assert info.value.field == "refresh_token"
    with pytest.raises(AuthError, match="no OAuth client_secret"):
        GoogleTokenProvider(client_id=CLIENT, refresh_token="1//r")


def test_call_with_refresh_retries_a_401_once_with_a_new_token(oauth, clock):
    _, refresh = oauth.issue((GA4_SCOPE,))
    tokens = _provider(oauth, clock, refresh)
    seen: list[str] = []

    def call(fail: int) -> str:
        seen.append(tokens.token())
        if len(seen) <= fail:
            raise AuthError("HTTP 401: UNAUTHENTICATED", http_status=401)
        return "ok"

    assert call_with_refresh(tokens, lambda: call(1)) == "ok"
    assert len(set(seen)) == 2 and tokens.refreshes == 2
    seen.clear()
    with pytest.raises(AuthError):
        call_with_refresh(tokens, lambda: call(5))
    assert len(seen) == 2  # one refresh, then the 401 stands
    forbidden: list[int] = []

    def refused() -> str:
        forbidden.append(1)
        raise AuthError("HTTP 403: PERMISSION_DENIED", http_status=403)

    with pytest.raises(AuthError, match="403"):
        call_with_refresh(tokens, refused)
    assert len(forbidden) == 1  # a 403 is not a token problem: no new token, no second try


def test_a_sync_keeps_going_when_the_token_expires_between_requests(oauth, registry, clock, warehouse):
    """Both clocks move: the provider refreshes before the API would refuse, so no request gets a 401."""
    _, refresh = oauth.issue((GA4_SCOPE,))
    ga4 = FakeGA4(tokens=registry)
    tokens = _provider(oauth, clock, refresh)
    original = ga4.report

    def report(body):
        clock.advance(3550)
        registry.advance(3550)
        return original(body)

    ga4.report = report
    with ga4.serve() as base_url:
        config = ConnectionConfig("web", "ga4", {"property_id": "123456789", "start_date": "2026-02-01"}, {},
                                  api_base_url=base_url)
        result = sync_ga4(config, warehouse, tokens=tokens, today=date(2026, 2, 4), page_size=3,
                          retry=RetryPolicy(sleep=clock.advance))
    assert result.fetched == {"traffic_daily": 12} and result.retries == 0
    assert all(r.fault is None and r.method == "POST" for r in ga4.log.requests)
    sent = [r.headers["authorization"] for r in ga4.log.requests]
    assert len(sent) == 4 and len(set(sent)) == 4  # 3550 s per request: a fresh token for every one
    assert tokens.refreshes == 4 and len(_token_requests(oauth)) == 4


def test_day_windows_and_the_first_day():
    assert day_windows(date(2026, 1, 30), date(2026, 2, 9), 5) == [
        (date(2026, 1, 30), date(2026, 2, 3)), (date(2026, 2, 4), date(2026, 2, 8)),
        (date(2026, 2, 9), date(2026, 2, 9))]
    assert day_windows(date(2026, 2, 10), date(2026, 2, 9)) == []
    today = date(2026, 2, 10)
    assert first_day("2026-02-09", timedelta(days=3), today) == date(2026, 2, 6)
    assert first_day(None, timedelta(days=3), today, "2025-12-01") == date(2025, 12, 1)
    assert first_day(None, timedelta(days=3), today) == date(2024, 2, 11)
    with pytest.raises(TerminalConnectorError) as info:
        first_day(None, timedelta(0), today, "01/12/2025")
    assert info.value.field == "start_date"


def test_retry_delays_are_read_from_both_google_shapes():
    assert retry_delay_of({"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                        "retryDelay": "12.5s"}]}) == 12.5
    assert retry_delay_of({"details": [{"errors": [{"details": {"quotaErrorDetails": {"retryDelay": "30s"}}}]}]}) \
        == 30.0
    assert retry_delay_of({"details": []}) is None


def test_scopes_of_issued_tokens_follow_the_refresh_token(oauth, registry, clock):
    _, refresh = oauth.issue((ADS_SCOPE,))
    token = _provider(oauth, clock, refresh).token()
    assert registry.has_scope(token, ADS_SCOPE) and not registry.has_scope(token, GA4_SCOPE)
