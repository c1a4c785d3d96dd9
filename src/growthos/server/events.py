"""In-process publish/subscribe for server-sent events: builds finishing, later alerts and anomalies."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

QUEUE_LIMIT = 100


class EventHub:
    """Any thread publishes; each SSE client reads its own bounded queue (a slow client drops events)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()

    def publish(self, event: str, data: dict[str, Any]) -> None:
        message = (event, data)
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(_put_nowait, queue, message)

    async def subscribe(self, keepalive_s: float = 15.0) -> AsyncIterator[str]:
        """Server-sent-event lines for one client, with a comment line as keep-alive."""
        queue: asyncio.Queue = asyncio.Queue(QUEUE_LIMIT)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers.add(entry)
        try:
            yield ": connected\n\n"
            while True:
                try:
                    event, data = await asyncio.wait_for(queue.get(), timeout=keepalive_s)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {event}\ndata: {json.dumps(data)}\n\n"
        finally:
            with self._lock:
                self._subscribers.discard(entry)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _put_nowait(queue: asyncio.Queue, message: tuple[str, dict[str, Any]]) -> None:
    if not queue.full():
        queue.put_nowait(message)
