"""Connector errors: retryable (throttling, 5xx, timeouts, truncated bodies) or terminal (bad requests,
bad credentials). Messages carry the API's own error text."""

from __future__ import annotations

from growthos.core.errors import GrowthOSError, RetryableError, TerminalError


class ConnectorError(GrowthOSError):
    """A third-party API call failed; ``status`` is the HTTP status the API answered, if any."""

    status = 502
    title = "Connector error"

    def __init__(self, message: str, *, http_status: int | None = None, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.http_status = http_status


class RetryableConnectorError(ConnectorError, RetryableError):
    """Worth retrying after a pause; ``retry_after`` is the API's own wait in seconds, when it gave one."""

    status = 503
    title = "Upstream temporarily unavailable"

    def __init__(
        self, message: str, *, retry_after: float | None = None, http_status: int | None = None,
        field: str | None = None,
    ) -> None:
        ConnectorError.__init__(self, message, http_status=http_status, field=field)
        self.retry_after = retry_after


class TerminalConnectorError(ConnectorError, TerminalError):
    """Retrying will not help (a rejected request, a missing resource, a query the API refuses)."""

    status = 502
    title = "Upstream error"


class AuthError(TerminalConnectorError):
    """The credentials are wrong, expired or lack a scope: the connection needs new ones."""

    title = "Upstream authentication failed"
