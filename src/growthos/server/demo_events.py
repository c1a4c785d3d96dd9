"""The demo's recipe-app data sent through GrowthOS's own HTTP APIs, on a server in this process with a
temporary ingest key, so the demo exercises the same parsing, identity and durability paths as a real app:
its product events (Segment's ``POST /v1/batch``) and its telemetry (``POST /api/analytics/*``: web vitals,
AI calls, database queries, resource samples)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from growthos.config import Settings
from growthos.core.errors import Conflict, TerminalError
from growthos.server.background import BackgroundServer
from growthos.sources.demo import DEMO_DAYS, DEMO_END_DATE, DEMO_SEED
from growthos.sources.demo.app_stream import recipe_app_batches, send_batches
from growthos.sources.demo.app_telemetry import telemetry_batches
from growthos.sources.telemetry import KINDS
from growthos.workspace import Workspace


@dataclass(frozen=True)
class DemoSent:
    events: int
    """App messages acknowledged by the collector."""
    telemetry: int
    """Telemetry records stored."""


def send_demo_app_events(settings: Settings, *, scale: float = 1.0) -> DemoSent:
    """Post the demo app's event stream and telemetry to a server on ``settings``.

    Nothing else may hold the warehouse meanwhile (the in-process server opens it). Event timestamps are kept
    as generated (no ``sentAt``: a replay of history, not live traffic); events are deduplicated by id, and
    the demo's telemetry (which has no ids) is replaced, so running the demo again stores everything once."""
    if not settings.demo:
        raise Conflict(f"{settings.data_dir} is not the demo workspace; the demo's data goes to a demo workspace "
                       "only", field="data_dir")
    with Workspace(settings) as ws:
        key, secret = ws.store.create_api_key("demo app events", "ingest")
        for kind in KINDS.values():  # a demo workspace only: its telemetry is regenerated
            ws.engine.execute(f"DROP TABLE IF EXISTS {kind.table}")
    try:
        batches = recipe_app_batches(seed=DEMO_SEED, start=DEMO_END_DATE - timedelta(days=DEMO_DAYS - 1),
                                     end=DEMO_END_DATE, scale=scale, batch_size=500, with_sent_at=False)
        with BackgroundServer(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
            events = send_batches(client, batches, write_key=secret)
            telemetry = 0
            for path, records in telemetry_batches(seed=DEMO_SEED, end=DEMO_END_DATE, scale=scale):
                response = client.post(f"/api/analytics/{path}", json={"records": records},
                                       headers={"Authorization": f"Bearer {secret}"})
                if response.status_code != 200:
                    raise TerminalError(f"POST /api/analytics/{path} of {len(records)} demo records answered "
                                        f"{response.status_code}: {response.text[:300]}")
                telemetry += response.json()["stored"]
        return DemoSent(events, telemetry)
    finally:
        with Workspace(settings) as ws:
            ws.store.revoke_api_key(key.id)
