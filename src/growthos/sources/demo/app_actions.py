"""What the simulated devices do: one :class:`Action` per analytics call, and invitations in flight."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from growthos.sources.demo.app_devices import Device


@dataclass(slots=True)
class Action:
    """One call of a device's analytics library."""

    at_ms: int
    """UTC milliseconds since the epoch."""
    person: int
    """Number of the person (in order of arrival)."""
    seq: int
    """Position in the person's life (ties in time keep their order)."""
    day: int
    """Index of the reporting day in the range."""
    type: str
    """Segment message type: track, identify, page, screen or alias."""
    device: Device
    user_id: str | None
    """The user's id once they are logged in on this device."""
    name: str | None = None
    """Track event name, or page/screen name."""
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    previous_id: str | None = None
    """An alias call's previousId."""
    page: dict[str, Any] | None = None
    """``context.page`` of a web message."""


@dataclass(frozen=True, slots=True)
class Invite:
    """An invitation a friend will accept at ``accept_ms``."""

    inviter_id: str
    invite_id: str
    accept_ms: int
