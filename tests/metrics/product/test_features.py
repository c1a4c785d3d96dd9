"""Feature usage on 2024-05-06..05-08, New York days.

  F1  Search 05-06, Search 05-07, Export CSV 05-07
  F2  Search 05-06 10:00 and 11:00 (one day), page view 05-06
  F3  Export PDF 05-06 23:30, Export CSV 05-07 00:30 (two New York days; one UTC day, 05-07)
  F4  page view 05-08 (active, uses no feature)
  F5  Search 05-09 (out of range); identify 05-07 (not activity) → not active
active = F1 F2 F3 F4 = 4
search: users F1 F2 = 2, adoption 2/4, events 2 + 2 = 4, repeat F1 = 1
export: users F1 F3 = 2, adoption 2/4, events 1 + 2 = 3, repeat F3 = 1
unused: 0
"""

from __future__ import annotations

from datetime import date

import pytest
from fixtures.events import identify, ny, page, track, write

from growthos.core.errors import InvalidInput
from growthos.metrics.product import feature_usage

FEATURES = {"search": ["Search"], "export": ["Export CSV", "Export PDF"], "unused": ["Nothing"]}


def events():
    return [
        track("Search", ny(5, 6), user="f1"), track("Search", ny(5, 7), user="f1"),
        track("Export CSV", ny(5, 7), user="f1"),
        track("Search", ny(5, 6, 10), user="f2"), track("Search", ny(5, 6, 11), user="f2"), page(ny(5, 6), user="f2"),
        track("Export PDF", ny(5, 6, 23, 30), user="f3"), track("Export CSV", ny(5, 7, 0, 30), user="f3"),
        page(ny(5, 8), user="f4"),
        track("Search", ny(5, 9), user="f5"), identify(ny(5, 7), user="f5", traits={"plan": "pro"}),
    ]


def test_users_adoption_events_and_repeat_users(engine) -> None:
    write(engine, events())
    result = feature_usage(engine, features=FEATURES, start=date(2024, 5, 6), end=date(2024, 5, 8),
                           tz="America/New_York")
    assert result.active == 4
    got = [(f.feature, f.users, f.adoption, f.event_count, f.repeat_users) for f in result.features]
    assert got == [("search", 2, 0.5, 4, 1), ("export", 2, 0.5, 3, 1), ("unused", 0, 0.0, 0, 0)]


def test_repeat_use_follows_the_reporting_days(engine) -> None:
    write(engine, events())
    # In UTC F3's two exports fall on 05-07 → not a repeat user; F1 still is (05-06, 05-07 UTC... its
    # noon New York events are 16:00Z on 05-07 only for the CSV; Search 05-06 and 05-07 → repeat).
    result = feature_usage(engine, features={"export": ["Export CSV", "Export PDF"]}, start=date(2024, 5, 6),
                           end=date(2024, 5, 8), tz="UTC")
    assert (result.features[0].users, result.features[0].repeat_users) == (2, 0)


def test_no_features(engine) -> None:
    with pytest.raises(InvalidInput) as err:
        feature_usage(engine, features={}, start=date(2024, 5, 6), end=date(2024, 5, 8), tz="UTC")
    assert err.value.field == "features"
