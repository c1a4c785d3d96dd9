"""Answers that depend only on the marts (forecasts, anomalies), kept until the next build.

A forecast fits a model per request (0.3-1 s on the demo); the summary page asks for one on every load.
The marts change only when a build finishes, so the server drops everything cached then."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ResultCache:
    """A small LRU of computed answers, emptied by :meth:`invalidate` (after each build)."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            generation = self._generation
        value = compute()  # outside the lock: two requests may compute the same answer once each
        with self._lock:
            if generation == self._generation:  # not computed from marts a build has replaced meanwhile
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()
