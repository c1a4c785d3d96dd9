"""The demo's recipe-app events, sent through the collector's HTTP API itself (``POST /v1/batch`` of an
server in this process, with a temporary ingest key), so the demo exercises the same parsing, identity and
durability path as a real app's SDK."""

from __future__ import annotations

from datetime import timedelta

import httpx

from growthos.config import Settings
from growthos.server.background import BackgroundServer
from growthos.sources.demo import DEMO_DAYS, DEMO_END_DATE, DEMO_SEED
from growthos.sources.demo.app_stream import recipe_app_batches, send_batches
from growthos.workspace import Workspace


def send_demo_app_events(settings: Settings, *, scale: float = 1.0) -> int:
    """Post the demo app's event stream to a server on ``settings``; the number of messages acknowledged.

    Nothing else may hold the warehouse meanwhile (the in-process server opens it). Timestamps are kept
    as generated (no ``sentAt``: this is a replay of history, not live traffic)."""
    with Workspace(settings) as ws:
        key, secret = ws.store.create_api_key("demo app events", "ingest")
    try:
        batches = recipe_app_batches(seed=DEMO_SEED, start=DEMO_END_DATE - timedelta(days=DEMO_DAYS - 1),
                                     end=DEMO_END_DATE, scale=scale, batch_size=500, with_sent_at=False)
        with BackgroundServer(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
            return send_batches(client, batches, write_key=secret)
    finally:
        with Workspace(settings) as ws:
            ws.store.revoke_api_key(key.id)
