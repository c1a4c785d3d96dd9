"""The demo's default period and seed."""

from __future__ import annotations

from datetime import date

DEMO_SEED = 42
DEMO_END_DATE = date(2026, 2, 9)
"""The last full day of the demo history (the workspace's 'today' is the day after)."""
DEMO_DAYS = 180
"""Days of history: DEMO_END_DATE - 179 days .. DEMO_END_DATE."""
