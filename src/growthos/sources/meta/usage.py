"""Meta's usage headers: pre-emptive pacing and the wait a throttled answer names.

``x-business-use-case-usage: {"<business_id>": [{"type": "ads_insights", "call_count": 95,
"total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": 0}]}`` (percentages of the
quota; minutes) and ``x-app-usage: {"call_count", "total_cputime", "total_time"}``. Once any percentage
reaches ``SLOW_DOWN_AT`` the next request waits first: the minutes to regain access when Meta names
them, else ``PAUSE_AT_THRESHOLD`` seconds growing linearly to ``PAUSE_AT_FULL`` at 100 % (Meta's
quotas are rolling one-hour windows, so a pause lets them drain).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

SLOW_DOWN_AT = 90.0
PAUSE_AT_THRESHOLD = 15.0
PAUSE_AT_FULL = 60.0
USAGE_KEYS = ("call_count", "total_cputime", "total_time")


def _entries(headers: Mapping[str, str]) -> Iterator[Mapping[str, Any]]:
    for name in ("x-business-use-case-usage", "x-app-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(value, Mapping):
            continue
        if any(key in value for key in USAGE_KEYS):
            yield value
            continue
        for items in value.values():
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, Mapping):
                    yield item


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def usage_percent(headers: Mapping[str, str]) -> float:
    """The highest of call_count / total_cputime / total_time across the usage headers (0 when none)."""
    return max((_number(e.get(k)) for e in _entries(headers) for k in USAGE_KEYS), default=0.0)


def regain_seconds(headers: Mapping[str, str]) -> float:
    """The longest ``estimated_time_to_regain_access`` in the headers, in seconds (0 when none)."""
    return 60.0 * max((_number(e.get("estimated_time_to_regain_access")) for e in _entries(headers)), default=0.0)


@dataclass
class UsageThrottle:
    """Remembers the wait the last answer's usage calls for; ``take_wait`` hands it out once."""

    pending: float = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        percent = usage_percent(headers)
        regain = regain_seconds(headers)
        if regain > 0:
            self.pending = max(self.pending, regain)
        elif percent >= SLOW_DOWN_AT:
            share = min(1.0, (percent - SLOW_DOWN_AT) / (100.0 - SLOW_DOWN_AT))
            self.pending = max(self.pending, PAUSE_AT_THRESHOLD + share * (PAUSE_AT_FULL - PAUSE_AT_THRESHOLD))

    def take_wait(self) -> float:
        wait, self.pending = self.pending, 0.0
        return wait
