"""Each person's touches: one per session of the collected events (``events_people``, so a person's anonymous
visits before signing up are theirs), at the session's first event, with the channel of its landing.

A new session starts at a person's first event, after 30 minutes without one, or at a page view that is a new
arrival: it carries campaign parameters (``context.campaign`` or utm_* / click ids in the URL) or a referrer
from another host. The session's landing is its first event's ``context.page`` and ``context.campaign``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from growthos.analysis.attribution.channels import classify, landing_from
from growthos.config import ChannelRule
from growthos.warehouse.engine import Engine

SESSION_GAP_MINUTES = 30
INVITE_EVENT = "Invite Accepted"
INVITE_PATH = "/invite/%"


@dataclass(frozen=True)
class Touch:
    at: datetime
    channel: str


_SESSIONS_SQL = f"""
WITH ev AS (
    SELECT person_id, "timestamp" AS ts, ingest_seq, type, event,
           context ->> '$.page.url' AS url,
           context ->> '$.page.search' AS search,
           context ->> '$.page.path' AS path,
           context ->> '$.page.referrer' AS referrer,
           context ->> '$.campaign.source' AS c_source,
           context ->> '$.campaign.medium' AS c_medium,
           context ->> '$.campaign.name' AS c_name
    FROM events_people
    WHERE type IN ('track', 'page', 'screen') AND "timestamp" >= $lo AND "timestamp" < $hi
),
marked AS (
    SELECT *,
           CASE WHEN lag(ts) OVER w IS NULL
                  OR ts - lag(ts) OVER w >= INTERVAL {SESSION_GAP_MINUTES} MINUTE
                  OR (type = 'page' AND (
                        c_source IS NOT NULL
                        OR regexp_matches(coalesce(search, '') || ' ' || coalesce(url, ''),
                                          '[?&](utm_[a-z]+|gclid|fbclid|msclkid|ttclid)=')
                        OR (coalesce(referrer, '') <> ''
                            AND regexp_extract(referrer, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1)
                                <> regexp_extract(coalesce(url, ''), '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1))))
                THEN 1 ELSE 0 END AS starts
    FROM ev
    WINDOW w AS (PARTITION BY person_id ORDER BY ts, ingest_seq)
),
numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY person_id ORDER BY ts, ingest_seq
                                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session
    FROM marked
)
SELECT person_id, session,
       min(ts) AS started_at,
       arg_min(url, (ts, ingest_seq)) AS url,
       arg_min(search, (ts, ingest_seq)) AS search,
       arg_min(referrer, (ts, ingest_seq)) AS referrer,
       arg_min(c_source, (ts, ingest_seq)) AS c_source,
       arg_min(c_medium, (ts, ingest_seq)) AS c_medium,
       arg_min(c_name, (ts, ingest_seq)) AS c_name,
       bool_or(event = $invite_event OR path LIKE $invite_path) AS invited
FROM numbered
GROUP BY person_id, session
ORDER BY person_id, started_at
"""


def person_touches(engine: Engine, lo: datetime, hi: datetime, rules: Sequence[ChannelRule]
                   ) -> dict[str, list[Touch]]:
    """person_id -> their touches in [lo, hi), oldest first."""
    rows = engine.query(_SESSIONS_SQL, {"lo": lo, "hi": hi, "invite_event": INVITE_EVENT,
                                        "invite_path": INVITE_PATH}).to_pylist()
    out: dict[str, list[Touch]] = defaultdict(list)
    for r in rows:
        landing = landing_from(r["url"], r["search"], r["referrer"], r["c_source"], r["c_medium"], r["c_name"],
                               bool(r["invited"]))
        out[r["person_id"]].append(Touch(r["started_at"], classify(landing, rules)))
    return dict(out)
