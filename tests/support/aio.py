"""Running a coroutine from a test: asyncio.run on a thread of its own, because the browser tests' Playwright
(sync API) keeps an event loop running on the main thread for the rest of the session."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run(coroutine)`` on a new thread; returns its result or raises its exception here."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised on the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="test-asyncio")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
