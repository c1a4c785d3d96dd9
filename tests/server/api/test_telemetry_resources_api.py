"""Resource samples posted to a real server come back with the scaling advice worked out by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support.server import LiveServer, empty_server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("resources-server")) as live:
        yield live


def test_samples_and_advice(server) -> None:
    service = f"api-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).replace(microsecond=0)
    samples = [  # 3 instances at 60% (hold), then 95%: ceil(3 × 95 / 70) = ceil(4.07) = 5
        {"service": service, "instance_count": 3, "cpu_percent": 60.0, "memory_percent": 40.0, "connections": 30,
         "timestamp": (now - timedelta(minutes=10)).isoformat()},
        {"service": service, "instance_count": 3, "cpu_percent": 95.0, "memory_percent": 55.0, "connections": 42,
         "timestamp": (now - timedelta(minutes=1)).isoformat()},
    ]
    posted = httpx.post(f"{server.url}/api/analytics/resources", json=samples, timeout=30,
                        headers={"Authorization": f"Bearer {server.keys['ingest']}"})
    assert posted.status_code == 200, posted.text
    answer = httpx.get(f"{server.url}/api/analytics/resources", params={"range": "24h"}, timeout=30,
                       headers=server.auth("read")).json()
    [entry] = [s for s in answer["services"] if s["service"] == service]
    assert entry["samples"] == 2
    assert entry["cpu_percent"] == {"mean": 77.5, "peak": 95.0}
    assert entry["connections"] == {"mean": 36.0, "peak": 42.0}
    assert entry["latest"]["instance_count"] == 3
    rec = entry["recommendation"]
    assert (rec["proposal"], rec["recommendation"], rec["action"]) == (5, 5, "scale_up")
    assert [c["recommendation"] for c in entry["changes"]] == [5]
    assert entry["peak_recommendation"]["recommendation"] == 5
    assert answer["policy"]["target_cpu_percent"] == 70.0 and answer["policy"]["max_instances"] == 10
    assert len(entry["series"]) == 2
    bad = httpx.get(f"{server.url}/api/analytics/resources", params={"range": "1y"}, headers=server.auth("read"))
    assert bad.status_code == 422
