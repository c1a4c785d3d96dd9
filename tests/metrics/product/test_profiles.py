"""Profiles and lookup. Vic browses anonymously as v-anon, identifies as vic (email Vic@Example.com, plan
free), later identifies again (plan pro). Victor is another person. All times New York, May 2024.

  v-anon  page 05-06 09:00; Search 09:30
  vic     identify 05-06 10:00 (v-anon→vic); Search 05-07 ×2 (10:00, 11:00); Export 05-07 12:00 {format: csv};
          identify 05-08 09:00 {plan: pro}; page 05-08 10:00
  victor  Search 05-01
Vic: 8 messages, first 05-06 09:00, last 05-08 10:00; Search 3, identify 2, page 2, Export 1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fixtures.events import identify, ny, page, track, write

from growthos.core.errors import InvalidInput, NotFound
from growthos.metrics.product import find_users, user_profile


def events():
    return [
        page(ny(5, 6, 9), anon="v-anon"), track("Search", ny(5, 6, 9, 30), anon="v-anon"),
        identify(ny(5, 6, 10), anon="v-anon", user="vic", traits={"email": "Vic@Example.com", "plan": "free"}),
        track("Search", ny(5, 7, 10), user="vic"), track("Search", ny(5, 7, 11), user="vic"),
        track("Export", ny(5, 7, 12), user="vic", props={"format": "csv"}),
        identify(ny(5, 8, 9), user="vic", traits={"plan": "pro"}), page(ny(5, 8, 10), user="vic"),
        track("Search", ny(5, 1), user="victor"),
    ]


def test_profile_of_a_merged_person_from_any_id(engine) -> None:
    write(engine, events())
    profile = user_profile(engine, "v-anon")
    assert profile == user_profile(engine, "vic")
    assert (profile.person_id, profile.ids) == ("vic", ("v-anon", "vic"))
    assert (profile.first_seen, profile.last_seen, profile.total_events) == (ny(5, 6, 9), ny(5, 8, 10), 8)
    assert [(c.name, c.count) for c in profile.top_events] == [("Search", 3), ("identify", 2), ("page", 2),
                                                               ("Export", 1)]
    assert profile.features_used == ("Export", "Search")
    assert profile.traits == {"email": "Vic@Example.com", "plan": "pro"}  # the later identify wins per key
    assert profile.latest_properties == {"format": "csv"}
    assert [(e.type, e.name) for e in profile.recent_events[:2]] == [("page", "Home"), ("identify", None)]
    assert profile.to_dict()["first_seen"] == datetime(2024, 5, 6, 13, tzinfo=UTC).isoformat()


def test_unknown_user(engine) -> None:
    write(engine, events())
    with pytest.raises(NotFound) as err:
        user_profile(engine, "nobody")
    assert err.value.field == "user"


def test_find_by_id_prefix_or_email_prefix(engine) -> None:
    write(engine, events())
    # "vic" prefixes ids vic and victor: Vic (last seen 05-08) before Victor (05-01)
    assert [(m.person_id, m.email, m.events) for m in find_users(engine, "vic")] == [
        ("vic", "Vic@Example.com", 8), ("victor", None, 1)]
    assert [m.person_id for m in find_users(engine, "VIC@exa")] == ["vic"]  # email, case-insensitive
    assert [m.ids for m in find_users(engine, "v-")] == [("v-anon", "vic")]
    assert find_users(engine, "zzz") == []
    assert [m.person_id for m in find_users(engine, "vic", limit=1)] == ["vic"]
    with pytest.raises(InvalidInput):
        find_users(engine, "  ")
