"""The connectors' shared HTTP client core: typed errors, a retry policy, an httpx client and paginators."""

from growthos.sources.http.client import ApiClient, ApiWrapper, ClientStats, Timeouts
from growthos.sources.http.errors import (
    AuthError,
    ConnectorError,
    RetryableConnectorError,
    TerminalConnectorError,
)
from growthos.sources.http.retry import RetryPolicy

__all__ = [
    "ApiWrapper",
    "ApiClient",
    "AuthError",
    "ClientStats",
    "ConnectorError",
    "RetryPolicy",
    "RetryableConnectorError",
    "TerminalConnectorError",
    "Timeouts",
]
