"""local_day (epoch arithmetic with the zone's offsets in a CASE tree) agrees with Python's zoneinfo on
instants around DST changes, in zones with and without DST and with a half-hour offset."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlglot import exp

from growthos.metrics.product.common import local_day, sql


@pytest.mark.parametrize("key", ["America/New_York", "Europe/Berlin", "Australia/Adelaide", "Asia/Tokyo", "UTC"])
def test_local_day_matches_zoneinfo(engine, key):
    tz = ZoneInfo(key)
    lo, hi = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    rng = random.Random(7)
    instants = [lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds()))) for _ in range(300)]
    # the seconds around each DST change of 2025 (and the range's edges), where an hour's error shows
    for change in (datetime(2025, 3, 9, 7, tzinfo=UTC), datetime(2025, 11, 2, 6, tzinfo=UTC),
                   datetime(2025, 3, 30, 1, tzinfo=UTC), datetime(2025, 10, 26, 1, tzinfo=UTC),
                   datetime(2025, 4, 5, 16, 30, tzinfo=UTC), datetime(2025, 10, 4, 16, 30, tzinfo=UTC)):
        instants += [change + timedelta(seconds=s) for s in (-3601, -1, 0, 1, 3599, 3600)]
    engine.execute("CREATE TABLE instants (ts TIMESTAMPTZ)")
    engine.execute("INSERT INTO instants SELECT unnest(?::TIMESTAMPTZ[])", [instants])
    day = sql(local_day(tz, lo, hi, "ts"))
    rows = engine.query(f"SELECT ts, {day} AS day FROM instants").to_pylist()  # noqa: S608 (our own expression)
    assert len(rows) == len(instants)
    wrong = [(r["ts"], r["day"]) for r in rows if r["day"] != r["ts"].astimezone(tz).date()]
    assert wrong == []


def test_the_offset_tree_is_logarithmic():
    tz = ZoneInfo("America/New_York")
    expression = local_day(tz, datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))

    def depth(node: exp.Expression) -> int:
        below = max((depth(child) for child in node.iter_expressions()), default=0)
        return below + isinstance(node, exp.Case)

    assert len(list(expression.find_all(exp.Case))) == 22  # 2018..2028: 11 years, 2 changes a year
    assert depth(expression) == 5  # ceil(log2(22 + 1))
