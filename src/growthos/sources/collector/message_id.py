"""Message ids the server assigns when a client sent none.

Segment SDKs always send a ``messageId``; hand-written clients may not. The id we assign is derived
from the message itself (SHA-256 of its canonical JSON, without ``messageId``, ``sentAt`` and
``writeKey``, which change between retries), not random: a client that retries after a timeout or a
503 — when we may already have committed — sends the same content, gets the same id, and the retry is
deduplicated. A random uuid4 would store such retries twice.

The cost: two messages with identical content are one event. That is right when the content carries
the client's time (same user, same event, same properties, same millisecond); when it carries no time
at all, nothing tells a repeat from a retry, so the receive time and the position in the request are
mixed in and such messages are kept apart (their retries are then not deduplicated).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

PREFIX = "gos-"
_VOLATILE = frozenset({"messageId", "sentAt", "writeKey", "receivedAt"})


def derive_message_id(message: dict[str, Any], *, type_: str, client_time_given: bool, received_at: datetime,
                      position: int) -> str:
    basis = {k: v for k, v in message.items() if k not in _VOLATILE}
    basis["type"] = type_
    text = json.dumps(basis, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if not client_time_given:
        text += f"\x1f{received_at.isoformat()}\x1f{position}"
    return PREFIX + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
