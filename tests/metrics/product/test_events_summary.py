"""Event counts in [since, until): Search ×3 by s1 (anonymous then identified: one person) and s2,
Export ×2 by s2, a page view (not a track event), a Search just outside the range."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures.events import identify, ny, page, track, write

from growthos.core.errors import InvalidInput
from growthos.metrics.product import event_counts, event_counts_for_range


def events():
    return [
        track("Search", ny(5, 6, 9), anon="s1a"), identify(ny(5, 6, 10), anon="s1a", user="s1"),
        track("Search", ny(5, 6, 11), user="s1"), track("Search", ny(5, 6, 12), user="s2"),
        track("Export", ny(5, 6, 13), user="s2"), track("Export", ny(5, 6, 14), user="s2"),
        page(ny(5, 6, 15), user="s2"), track("Search", ny(5, 7, 9), user="s3"),
    ]


def test_counts_and_people_most_frequent_first(engine) -> None:
    write(engine, events())
    got = event_counts(engine, since=ny(5, 6, 0), until=ny(5, 7, 9))  # until is exclusive: s3 is out
    assert got == [{"event": "Search", "count": 3, "users": 2}, {"event": "Export", "count": 2, "users": 1}]
    # 24h before 05-07 09:01 starts 05-06 09:01: s1's anonymous 09:00 Search is out, s3's 05-07 09:00 in
    assert event_counts_for_range(engine, "24h", ny(5, 7, 9, 1)) == [
        {"event": "Search", "count": 3, "users": 3}, {"event": "Export", "count": 2, "users": 1}]


def test_invalid_ranges(engine) -> None:
    with pytest.raises(InvalidInput) as err:
        event_counts(engine, since=ny(5, 7), until=ny(5, 7) - timedelta(hours=1))
    assert err.value.field == "since"
    with pytest.raises(InvalidInput) as err:
        event_counts_for_range(engine, "1y", ny(5, 7))
    assert err.value.field == "range"
