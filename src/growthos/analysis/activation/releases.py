"""Onboarding step conversion per app release: for each transition step k-1 → k of the onboarding funnel, the
sign-ups of a range who did step k-1, grouped by the release (``context.os.name`` and ``context.app.version``,
sent by the mobile SDKs) of their first step k-1 event, and how many of them then did step k within the
onboarding window from their sign-up. Web events carry no app version and are left out. (Step 0 is the
sign-up event itself.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlglot import exp

from growthos.analysis.activation.definitions import ActivationConfig
from growthos.analysis.activation.events import SIGNUP_CTES, event_condition
from growthos.metrics.product.common import Result, param, render
from growthos.warehouse.engine import Engine

VERSION_PATH = "$.app.version"
OS_PATH = "$.os.name"
"""A release is the OS and the app version ("Android 3.12.0"): iOS and Android ship the same numbers apart."""

_SQL = "WITH " + SIGNUP_CTES + """, entered AS (
    SELECT e.person_id, arg_min(CASE WHEN e.context ->> $version_path IS NOT NULL
                                     THEN concat_ws(' ', e.context ->> $os_path, e.context ->> $version_path) END,
                                e."timestamp") AS version, min(e."timestamp") AS at,
           min(c.signup_ts) AS signup_ts
    FROM events_people e JOIN cohort c ON c.person_id = e.person_id
    WHERE e.type = 'track' AND $from_step AND e."timestamp" >= c.signup_ts AND e."timestamp" <= c.signup_ts + $window
        AND e."timestamp" <= $as_of
    GROUP BY e.person_id
), converted AS (
    SELECT DISTINCT e.person_id FROM events_people e JOIN entered p ON p.person_id = e.person_id
    WHERE e.type = 'track' AND $to_step AND e."timestamp" >= p.at AND e."timestamp" <= p.signup_ts + $window
        AND e."timestamp" <= $as_of
)
SELECT p.version, count(*) AS entered, count(c.person_id) AS converted
FROM entered p LEFT JOIN converted c ON c.person_id = p.person_id
WHERE p.version IS NOT NULL
GROUP BY p.version ORDER BY p.version
"""


@dataclass(frozen=True)
class ReleaseRate(Result):
    step: int
    """The step reached (1-based, as Transition.step)."""
    version: str
    entered: int
    converted: int
    rate: float


def release_rates(engine: Engine, config: ActivationConfig, *, lo: datetime, hi: datetime, as_of: datetime
                  ) -> list[ReleaseRate]:
    """Per transition and app version, the sign-ups of [lo, hi) entering and converting (see the module doc)."""
    if not engine.table_exists("events_people"):
        return []
    o = config.onboarding
    steps = [(config.signup_event, MappingProxyType({}))] + [(o.event, {o.property: s}) for s in o.steps]
    signup_ts = exp.column("signup_ts")
    cohort_filter = exp.and_(exp.GTE(this=signup_ts, expression=param("lo")),
                             exp.LT(this=signup_ts.copy(), expression=param("hi")))
    out = []
    for k in range(1, len(steps)):
        params: dict[str, Any] = {"signup": config.signup_event, "as_of": as_of, "lo": lo, "hi": hi,
                                  "window": timedelta(days=o.window_days), "version_path": VERSION_PATH,
                                  "os_path": OS_PATH}
        from_step = event_condition(*steps[k - 1], "a", params)
        to_step = event_condition(*steps[k], "b", params)
        text = render(_SQL, cohort_filter=cohort_filter, from_step=_qualified(from_step),
                      to_step=_qualified(to_step))
        for row in engine.query(text, params).to_pylist():
            out.append(ReleaseRate(k, row["version"], int(row["entered"]), int(row["converted"]),
                                   row["converted"] / row["entered"]))
    return out


def _qualified(condition: exp.Expression) -> exp.Expression:
    """The condition's columns read from ``e`` (events_people), as the query joins the cohort."""
    def qualify(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            return exp.column(node.name, table="e")
        return node
    return condition.copy().transform(qualify)
