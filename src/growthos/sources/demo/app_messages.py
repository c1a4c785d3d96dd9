"""Actions → Segment messages as analytics.js and the mobile SDKs send them, and messages → batch bodies."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from growthos.sources.demo.app_actions import Action
from growthos.sources.demo.app_anomalies import AppAnomaly
from growthos.sources.demo.app_devices import app_context, app_version

MAX_BATCH_BYTES = 500 * 1024
"""Segment's limit on a batch body."""
MAX_MESSAGE_BYTES = 32 * 1024
"""Segment's limit on one message."""
MAX_BATCH_MESSAGES = 2500
MESSAGE_BYTES_BOUND = 2048
"""No generated message is larger (every field comes from short, fixed-shape values; the largest seen
is about 1.1 KB): batches of up to MAX_BATCH_BYTES // MESSAGE_BYTES_BOUND messages need no measuring."""
_BODY_OVERHEAD = 64
"""Bytes of ``{"batch":[...],"sentAt":"..."}`` around the messages, generously."""


def iso_ms(at_ms: int) -> str:
    """``2025-11-18T14:03:22.123Z``, as the SDKs write times."""
    ts = datetime.fromtimestamp(at_ms // 1000, UTC)
    return (f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
            f".{at_ms % 1000:03d}Z")


def segment_messages(actions: Iterable[Action], *, seed: int | str, days: list[date],
                     broken: AppAnomaly | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(at_ms, message)`` per action, in the actions' order; message ids come from a seeded stream
    (``ajs-next-…`` hex for analytics.js, UUIDs for the mobile SDKs)."""
    ids = random.Random(f"{seed}:app:message-ids")
    apps: dict[tuple[str, int], dict[str, Any]] = {}
    for a in actions:
        bits = ids.getrandbits(128)
        platform = a.device.platform
        context = dict(a.device.context)
        if platform == "web":
            message_id = f"ajs-next-{bits:032x}"
            if a.page is not None:
                context["page"] = a.page
        else:
            message_id = str(uuid.UUID(int=bits, version=4))
            app = apps.get((platform, a.day))
            if app is None:
                app = apps[(platform, a.day)] = app_context(platform, app_version(platform, days[a.day], broken))
            context["app"] = app
        message: dict[str, Any] = {"type": a.type, "messageId": message_id, "timestamp": iso_ms(a.at_ms),
                                   "anonymousId": a.device.anonymous_id}
        if a.user_id is not None:
            message["userId"] = a.user_id
        if a.type == "track":
            message["event"] = a.name
        elif a.type in ("page", "screen"):
            message["name"] = a.name
        elif a.type == "alias":
            message["previousId"] = a.previous_id
        if a.properties is not None:
            message["properties"] = a.properties
        if a.traits is not None:
            message["traits"] = a.traits
        message["context"] = context
        yield a.at_ms, message


def compact_bytes(value: Any) -> int:
    """Size as compact UTF-8 JSON (how the collector measures messages and batches)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def batch_bodies(messages: Iterable[tuple[int, dict[str, Any]]], *, seed: int | str, batch_size: int,
                 with_sent_at: bool) -> Iterator[dict[str, Any]]:
    """Consecutive messages in bodies of at most ``batch_size`` messages and MAX_BATCH_BYTES; ``sentAt``
    is the last message's time plus the SDK's flush delay (a few seconds). Message sizes are measured
    only when ``batch_size`` messages of MESSAGE_BYTES_BOUND could pass MAX_BATCH_BYTES (measuring is
    half the generation time)."""
    flush = random.Random(f"{seed}:app:flush")
    measure = batch_size * (MESSAGE_BYTES_BOUND + 1) + _BODY_OVERHEAD > MAX_BATCH_BYTES
    batch: list[dict[str, Any]] = []
    size = _BODY_OVERHEAD
    last_ms = 0
    for at_ms, message in messages:
        message_size = compact_bytes(message) + 1 if measure else 0
        if message_size > MAX_MESSAGE_BYTES:
            raise ValueError(f"message {message['messageId']} is {message_size} bytes, above Segment's limit")
        if batch and (len(batch) >= batch_size or size + message_size > MAX_BATCH_BYTES):
            yield _body(batch, last_ms + flush.randint(200, 20_000), with_sent_at)
            batch, size = [], _BODY_OVERHEAD
        batch.append(message)
        size += message_size
        last_ms = at_ms
    if batch:
        yield _body(batch, last_ms + flush.randint(200, 20_000), with_sent_at)


def _body(batch: list[dict[str, Any]], sent_ms: int, with_sent_at: bool) -> dict[str, Any]:
    return {"batch": batch, "sentAt": iso_ms(sent_ms)} if with_sent_at else {"batch": batch}

