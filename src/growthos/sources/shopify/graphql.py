"""One Shopify shop's GraphQL Admin API: the endpoint, the access-token header, GraphQL errors and
cost throttling on top of the shared ``ApiClient``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from growthos.sources.connectors import ConnectionConfig
from growthos.sources.http import (
    ApiClient,
    ApiWrapper,
    AuthError,
    ConnectorError,
    RetryableConnectorError,
    RetryPolicy,
    TerminalConnectorError,
    Timeouts,
)
from growthos.sources.shopify.throttle import CostThrottle, QueryCost

DEFAULT_API_VERSION = "2025-01"
TOKEN_HEADER = "X-Shopify-Access-Token"

_SHOP = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*$")
_RETRYABLE_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}
_AUTH_CODES = {"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"}


class QueryTooCostly(TerminalConnectorError):
    """MAX_COST_EXCEEDED: the query asks for more than one request may cost; ask for smaller pages."""


def shop_domain(value: str) -> str:
    """``My-Shop``, ``my-shop.myshopify.com`` or ``https://my-shop.myshopify.com/`` → ``my-shop.myshopify.com``."""
    host = value.strip().lower()
    host = re.sub(r"^https?://", "", host).split("/", 1)[0]
    if host and "." not in host:
        host += ".myshopify.com"
    if not _SHOP.match(host):
        raise TerminalConnectorError(f"invalid shop domain {value!r}", field="shop_domain")
    return host


class ShopifyGraphQL(ApiWrapper):
    """``execute(operation, query, variables)`` → the response's ``data``, retried and throttled."""

    def __init__(
        self,
        config: ConnectionConfig,
        *,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        token = config.secrets.get("access_token")
        if not token:
            raise AuthError("the connection has no Shopify access token", field="access_token")
        domain = config.settings.get("shop_domain")
        if not domain:
            raise TerminalConnectorError("the connection has no shop domain", field="shop_domain")
        self.shop = shop_domain(domain)
        version = config.settings.get("api_version") or DEFAULT_API_VERSION
        self.path = f"/admin/api/{version}/graphql.json"
        self.client = ApiClient.for_connection(
            config,
            f"https://{self.shop}",
            auth_headers=lambda: {TOKEN_HEADER: token},
            retry=retry,
            timeouts=timeouts,
            on_error_response=self._error_response,
        )
        self.throttle = CostThrottle(clock)

    def execute(self, operation: str, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL document; waits first when the bucket would not cover its expected cost."""
        self.client.sleep(self.throttle.wait_before(operation))

        def validate(response: httpx.Response, body: Any) -> None:
            self._check(operation, body)

        body = self.client.request_json(
            "POST", self.path, json={"query": query, "variables": dict(variables or {}), "operationName": operation},
            validate=validate,
        )
        return body["data"]

    def _check(self, operation: str, body: Any) -> None:
        if not isinstance(body, Mapping):
            raise TerminalConnectorError(f"Shopify {operation}: the response is not a JSON object")
        cost = QueryCost.from_body(body)
        self.throttle.observe(operation, cost)
        errors = body.get("errors")
        if errors:
            raise _graphql_error(operation, errors, cost)
        if not isinstance(body.get("data"), Mapping):
            raise TerminalConnectorError(f"Shopify {operation}: the response has no data")

    def _error_response(self, response: httpx.Response) -> ConnectorError | None:
        """A 429 or 5xx that carries GraphQL errors (THROTTLED with its cost) is read like a 200."""
        if response.status_code != 429 and response.status_code < 500:
            return None
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
            return None
        cost = QueryCost.from_body(body)
        self.throttle.observe("", cost)
        error = _graphql_error("request", body["errors"], cost)
        error.http_status = response.status_code
        return error if isinstance(error, RetryableConnectorError) else None


def _codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    return [str((e.get("extensions") or {}).get("code") or "") for e in errors if isinstance(e, Mapping)]


def _messages(errors: Any) -> str:
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, Mapping) else str(e) for e in errors)
    return str(errors)


def _graphql_error(operation: str, errors: Any, cost: QueryCost | None) -> ConnectorError:
    codes = set(_codes(errors))
    message = f"Shopify {operation}: {_messages(errors)}"
    if "THROTTLED" in codes:
        wait = cost.wait_for(cost.requested) if cost is not None else None
        return RetryableConnectorError(message, retry_after=wait)
    if "MAX_COST_EXCEEDED" in codes:
        return QueryTooCostly(message)
    if codes & _AUTH_CODES:
        return AuthError(message)
    if codes & _RETRYABLE_CODES:
        return RetryableConnectorError(message)
    return TerminalConnectorError(message)
