"""Typed errors shared by all layers; the server maps them to RFC 9457 problem details."""

from __future__ import annotations


class GrowthOSError(Exception):
    """Base class of every error GrowthOS raises on purpose."""

    status: int = 500
    title: str = "Internal error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigError(GrowthOSError):
    """A setting is missing or invalid."""

    status = 500
    title = "Configuration error"


class InvalidInput(GrowthOSError):
    """Input from a user or a client is malformed; ``field`` names the culprit."""

    status = 422
    title = "Invalid input"


class NotFound(GrowthOSError):
    """A named thing (metric, job, snapshot...) does not exist."""

    status = 404
    title = "Not found"


class Conflict(GrowthOSError):
    """The request conflicts with the current state (e.g. a build already running)."""

    status = 409
    title = "Conflict"


class WarehouseError(GrowthOSError):
    """The warehouse engine failed to run a statement."""

    status = 500
    title = "Warehouse error"


class BuildError(WarehouseError):
    """A pipeline build failed; the previous marts are still in place."""

    title = "Build failed"


class RetryableError(GrowthOSError):
    """A failure worth retrying after a pause (throttling, 5xx, timeouts)."""

    status = 503
    title = "Temporarily unavailable"

    def __init__(self, message: str, *, retry_after: float | None = None, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class TerminalError(GrowthOSError):
    """A failure that retrying will not fix (bad credentials, quota exhausted for the day)."""

    status = 502
    title = "Upstream error"
