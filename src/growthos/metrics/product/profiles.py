"""One person's profile (all merged ids, activity, traits) and the user lookup behind the people page.

A profile is of a PERSON: any of their ids (user id, anonymous id, aliased id) finds the same profile.
``traits`` merges the traits of every identify call in time order (a later value wins per key);
``latest_properties`` are the properties of the person's latest event that has any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlglot import exp

from growthos.core.errors import InvalidInput, NotFound
from growthos.metrics.product.common import Result, in_list, positive_int, render
from growthos.sources.collector import ids_of, person_of
from growthos.warehouse.engine import Engine

TOP_EVENTS = 20
RECENT_EVENTS = 20
MAX_QUERY = 200


@dataclass(frozen=True)
class NamedCount(Result):
    name: str
    """Track event name, or the message type (page, screen, identify...) for other messages."""
    count: int
    """How many."""


@dataclass(frozen=True)
class RecentEvent(Result):
    timestamp: datetime
    """When (UTC)."""
    type: str
    """Message type."""
    name: str | None
    """Track event name or page/screen name."""


@dataclass(frozen=True)
class UserProfile(Result):
    person_id: str
    """Canonical id of the person."""
    ids: tuple[str, ...]
    """Every id merged into the person, sorted."""
    first_seen: datetime | None
    """First event."""
    last_seen: datetime | None
    """Latest event."""
    total_events: int
    """All messages of the person."""
    top_events: tuple[NamedCount, ...]
    """Most frequent names, at most 20."""
    features_used: tuple[str, ...]
    """Distinct track event names, sorted."""
    traits: dict[str, Any]
    """Identify traits merged in time order."""
    latest_properties: dict[str, Any]
    """Properties of the latest event with properties."""
    recent_events: tuple[RecentEvent, ...]
    """Latest events first, at most 20."""


@dataclass(frozen=True)
class UserMatch(Result):
    person_id: str
    """Canonical id of the person."""
    ids: tuple[str, ...]
    """Every id merged into the person, sorted."""
    email: str | None
    """Latest identify traits email."""
    first_seen: datetime | None
    """First event."""
    last_seen: datetime | None
    """Latest event."""
    events: int
    """All messages of the person."""


_SUMMARY = """
SELECT min("timestamp") AS first_seen, max("timestamp") AS last_seen, count(*) AS total,
       list(traits ORDER BY "timestamp", ingest_seq) FILTER (WHERE type = 'identify' AND traits IS NOT NULL)
           AS traits,
       arg_max(properties, ("timestamp", ingest_seq)) FILTER (WHERE properties IS NOT NULL) AS latest_properties,
       list(DISTINCT event ORDER BY event) FILTER (WHERE type = 'track' AND event IS NOT NULL) AS features
FROM events WHERE $ids_filter
"""

_TOP = """
SELECT coalesce(event, type) AS name, count(*) AS count FROM events WHERE $ids_filter
GROUP BY ALL ORDER BY count DESC, name LIMIT $top
"""

_RECENT = """
SELECT "timestamp", type, coalesce(event, name) AS name FROM events WHERE $ids_filter
ORDER BY "timestamp" DESC, ingest_seq DESC LIMIT $recent
"""


def user_profile(engine: Engine, user: str) -> UserProfile:
    """The profile of the person any id ``user`` belongs to (NotFound for an id never seen)."""
    if not isinstance(user, str) or not user or len(user) > MAX_QUERY:
        raise InvalidInput(f"user must be an id of 1-{MAX_QUERY} characters", field="user")
    person = person_of(engine, user)
    if person is None:
        raise NotFound(f"no person has the id {user!r}", field="user")
    ids = ids_of(engine, person) or [person]
    id_params: dict[str, Any] = {}
    ids_filter = in_list(exp.column("distinct_id"), ids, "id", id_params)

    def run(text: str, **extra: Any) -> list[dict[str, Any]]:
        return engine.query(render(text, ids_filter=ids_filter), {**id_params, **extra}).to_pylist()

    summary = run(_SUMMARY)[0]
    traits: dict[str, Any] = {}
    for text in summary["traits"] or []:
        traits.update(json.loads(text))
    latest = summary["latest_properties"]
    return UserProfile(
        person_id=person, ids=tuple(ids), first_seen=summary["first_seen"], last_seen=summary["last_seen"],
        total_events=int(summary["total"]),
        top_events=tuple(NamedCount(r["name"], int(r["count"])) for r in run(_TOP, top=TOP_EVENTS)),
        features_used=tuple(summary["features"] or ()), traits=traits,
        latest_properties=json.loads(latest) if latest else {},
        recent_events=tuple(RecentEvent(r["timestamp"], r["type"], r["name"])
                            for r in run(_RECENT, recent=RECENT_EVENTS)),
    )


_FIND = """
WITH hits AS (
    SELECT person_id FROM identity_map WHERE starts_with(lower(id), $q)
    UNION
    SELECT m.person_id FROM events e JOIN identity_map m ON m.id = e.distinct_id
    WHERE e.type = 'identify' AND starts_with(lower(e.traits ->> '$.email'), $q)
), ids AS (
    SELECT id, person_id FROM identity_map WHERE person_id IN (SELECT person_id FROM hits)
), activity AS (
    SELECT i.person_id, min(e."timestamp") AS first_seen, max(e."timestamp") AS last_seen, count(*) AS events,
           arg_max(e.traits ->> '$.email', (e."timestamp", e.ingest_seq))
               FILTER (WHERE e.type = 'identify' AND e.traits ->> '$.email' IS NOT NULL) AS email
    FROM events e JOIN ids i ON i.id = e.distinct_id
    GROUP BY i.person_id
), id_lists AS (
    SELECT person_id, list(id ORDER BY id) AS ids FROM ids GROUP BY person_id
)
SELECT l.person_id, l.ids, a.email, a.first_seen, a.last_seen, coalesce(a.events, 0) AS events
FROM id_lists l LEFT JOIN activity a ON a.person_id = l.person_id
ORDER BY a.last_seen DESC NULLS LAST, l.person_id
LIMIT $limit
"""


def find_users(engine: Engine, query: str, limit: int = 20) -> list[UserMatch]:
    """People with an id, or an identify ``traits.email``, starting with ``query`` (case-insensitive),
    most recently seen first."""
    if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY:
        raise InvalidInput(f"query must be 1-{MAX_QUERY} characters", field="query")
    positive_int(limit, "limit", 100)
    rows = engine.query(render(_FIND), {"q": query.strip().lower(), "limit": limit}).to_pylist()
    return [UserMatch(r["person_id"], tuple(r["ids"]), r["email"], r["first_seen"], r["last_seen"], int(r["events"]))
            for r in rows]
