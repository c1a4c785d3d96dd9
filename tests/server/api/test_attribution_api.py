"""/api/attribution on the live demo and on an empty server: every model credits exactly the range's
conversions (counted independently in the warehouse), shares add up, the Markov removal effects are in [0, 1],
and bad parameters get a 422 naming the parameter."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from support.server import empty_server

MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"]
RANGE = {"from": "2026-01-01", "to": "2026-01-31"}


def get(server, params: dict) -> httpx.Response:
    return httpx.get(server.url + "/api/attribution", params=params, headers=server.auth("read"), timeout=120)


def independent_totals(live_server, event: str, start: date, end: date) -> tuple[int, float]:
    """The range's conversions and their mrr, counted straight from the events in the reporting time zone."""
    tz = ZoneInfo(live_server.settings.timezone)
    lo = datetime.combine(start, time(0), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
    row = live_server.warehouse_rows(
        "SELECT count(*) AS n, coalesce(sum(CAST(properties ->> '$.mrr' AS DOUBLE)), 0) AS v FROM events_people "
        "WHERE type = 'track' AND event = ? AND \"timestamp\" >= ? AND \"timestamp\" < ?", [event, lo, hi])[0]
    return row["n"], row["v"]


def test_every_model_credits_all_the_conversions(live_server):
    response = get(live_server, RANGE)
    assert response.status_code == 200, response.text
    data = response.json()
    n, value = independent_totals(live_server, "Subscription Started", date(2026, 1, 1), date(2026, 1, 31))
    assert n > 20 and data["conversions"] == n and data["value"] == pytest.approx(value)
    assert [m["model"] for m in data["models"]] == MODELS
    for m in data["models"]:
        assert sum(r["conversions"] for r in m["channels"]) == pytest.approx(n), m["model"]
        assert sum(r["value"] for r in m["channels"]) == pytest.approx(value), m["model"]
        assert sum(r["share"] for r in m["channels"]) == pytest.approx(1.0), m["model"]
    # first and last touch give whole conversions
    for name in ("first_touch", "last_touch"):
        (m,) = [m for m in data["models"] if m["model"] == name]
        assert all(float(r["conversions"]).is_integer() for r in m["channels"])
    markov = data["models"][-1]
    assert 0 < markov["conversion_probability"] <= 1
    assert all(0 <= e <= 1 for e in markov["removal_effects"].values())
    # the demo's web sources appear under the warehouse's channel names
    assert {"organic_search", "organic_social", "referral", "direct"} <= {r["channel"] for r in data["comparison"]}
    row = data["comparison"][0]
    assert set(row["models"]) == set(MODELS)


def test_one_model_and_signups(live_server):
    data = get(live_server, {**RANGE, "model": "linear", "conversion": "Signed Up", "lookback_days": 7}).json()
    n, _ = independent_totals(live_server, "Signed Up", date(2026, 1, 1), date(2026, 1, 31))
    assert data["conversions"] == n and data["value"] == 0 and data["lookback_days"] == 7
    assert [m["model"] for m in data["models"]] == ["linear"]
    assert sum(r["conversions"] for r in data["models"][0]["channels"]) == pytest.approx(n)


@pytest.mark.parametrize(("params", "field"), [
    ({"model": "w_shaped"}, "model"), ({"lookback_days": 0}, "lookback_days"),
    ({"lookback_days": "x"}, "lookback_days"), ({"half_life_days": -1}, "half_life_days"),
    ({"value_property": "a b"}, "value_property"), ({"range": "5d"}, "range"),
])
def test_bad_parameters_get_422_naming_them(live_server, params, field):
    response = get(live_server, params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert field in [p["name"] for p in body.get("invalid_params") or []] or field in body["detail"], body


def test_needs_a_read_key(live_server):
    assert httpx.get(live_server.url + "/api/attribution", timeout=30).status_code == 401


def test_an_empty_workspace_credits_nothing(tmp_path):
    with empty_server(tmp_path / "data") as server:
        response = get(server, {"range": "30d"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["conversions"] == 0 and data["comparison"] == []
