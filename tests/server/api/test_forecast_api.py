"""/api/forecast and /api/anomalies on the demo: shape, recall of the injected anomalies, errors."""

from __future__ import annotations

import httpx

from growthos.analysis.anomalies import DEFAULT_METRICS, score_against_truth
from growthos.sources.demo import anomalies_as_dicts


def get(live_server, route: str, params: dict, scope: str = "read") -> httpx.Response:
    return httpx.get(live_server.url + route, params=params, headers=live_server.auth(scope), timeout=60)


def test_forecast_shape(live_server):
    body = get(live_server, "/api/forecast", {"metric": "orders", "horizon": 14}).json()
    assert body["horizon"] == 14 and len(body["points"]) == 14
    for p in body["points"]:
        assert p["lower_95"] <= p["lower_80"] <= p["forecast"] <= p["upper_80"] <= p["upper_95"]


def test_demo_anomalies_recall_and_false_alarms(live_server):
    body = get(live_server, "/api/anomalies", {"range": "180d", "metric": ",".join(DEFAULT_METRICS)}).json()
    score = score_against_truth(body["anomalies"], anomalies_as_dicts(), list(DEFAULT_METRICS), 180)
    assert score["anomaly_recall"] >= 0.8
    assert score["false_alarms"] <= 6


def test_bad_input(live_server):
    assert get(live_server, "/api/forecast", {"metric": "nope"}).status_code == 422
    assert get(live_server, "/api/forecast", {"metric": "orders", "horizon": 0}).status_code == 422
    assert get(live_server, "/api/anomalies", {"metric": "nope"}).status_code == 422
    assert httpx.get(live_server.url + "/api/anomalies", timeout=10).status_code == 401


def test_notifier_publishes_each_anomaly_once(live_server):
    from growthos.analysis.anomalies import AnomalyNotifier

    events = []
    notifier = AnomalyNotifier(lambda name, data: events.append((name, data)))
    state = live_server.app.state.growthos
    with state.reader() as engine:
        first = notifier.after_build(engine, state.workspace.last_full_day)
        again = notifier.after_build(engine, state.workspace.last_full_day)
    assert again == []
    assert [e[1] for e in events] == first and all(e[0] == "anomaly_detected" for e in events)
