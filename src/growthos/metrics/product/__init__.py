"""Product analytics over the events the collector stores: trends and active people, funnels, retention,
stickiness, feature usage, user profiles and event counts. Every count is of people (``person_id`` of
``events_people``: one person per merged set of ids), days follow the reporting time zone, results are
frozen dataclasses with ``to_dict()``. One module per question:

- ``trends``: ``trends(engine, *, events, start, end, interval, tz, breakdown=None, limit_breakdown=10)``,
  ``active_users(engine, *, start, end, tz)``
- ``funnels``: ``funnel(engine, *, steps, window, start, end, tz, as_of, exclusions=(), breakdown=None)``
- ``retention``: ``retention(engine, *, start_event, return_event, interval, periods, start, end, tz, as_of)``
- ``stickiness``: ``stickiness(engine, *, start, end, tz, interval="week", event=None)``
- ``features``: ``feature_usage(engine, *, features, start, end, tz)``
- ``profiles``: ``user_profile(engine, user)``, ``find_users(engine, query, limit=20)``
- ``events_summary``: ``event_counts(engine, *, since, until)``
"""

from growthos.metrics.product.events_summary import event_counts, event_counts_for_range
from growthos.metrics.product.features import feature_usage
from growthos.metrics.product.funnels import Exclusion, FunnelStep, funnel
from growthos.metrics.product.profiles import find_users, user_profile
from growthos.metrics.product.retention import retention
from growthos.metrics.product.stickiness import stickiness
from growthos.metrics.product.trends import active_users, trends

__all__ = [
    "Exclusion",
    "FunnelStep",
    "active_users",
    "event_counts",
    "event_counts_for_range",
    "feature_usage",
    "find_users",
    "funnel",
    "retention",
    "stickiness",
    "trends",
    "user_profile",
]
