"""The server bench/collector.py measures: GrowthOS's own app plus two bench-only routes.

    .venv/bin/python bench/collector_app.py <data dir> <port>

``create_app(settings)`` served by uvicorn with the options of ``growthos serve`` (access log off,
log level warning), plus:

- ``POST /bench/discard/v1/batch``: what ``POST /v1/batch`` does, through the same functions (read the
  body with its limit, write key checked against the key store, ``decode_body``, ``parse_segment``),
  without storing (the real route then encodes the batch and awaits ``EventWriter.append_async``): the
  parse-and-discard reference;
- ``GET /bench/collector/stats``: the event writer's ``WriterStats``.

Bench code only: nothing here is part of the product.
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from growthos.config import load_settings
from growthos.server.api.collector import off_loop_if_large, parse_segment_request, read_segment_request
from growthos.server.api.params import server_state
from growthos.server.app import create_app


async def discard_batch(request: Request) -> JSONResponse:
    """``/v1/batch`` up to, not including, the write: the real route's own read and parse functions."""
    received_at = datetime.now(UTC)
    raw, header_key = await read_segment_request(request, "batch")
    await off_loop_if_large(raw, lambda: parse_segment_request(request, "batch", raw, header_key=header_key,
                                                               received_at=received_at))
    return JSONResponse({"success": True})


async def writer_stats(request: Request) -> JSONResponse:
    return JSONResponse(dataclasses.asdict(server_state(request).collector.stats()))


def create(data_dir: Path) -> FastAPI:
    app = create_app(load_settings(data_dir=data_dir))
    app.add_api_route("/bench/discard/v1/batch", discard_batch, methods=["POST"])
    app.router.routes.insert(0, app.router.routes.pop())  # matched first, as the real /v1 routes are
    app.add_api_route("/bench/collector/stats", writer_stats, methods=["GET"])
    return app


if __name__ == "__main__":
    uvicorn.run(create(Path(sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]), access_log=False,
                log_level="warning")
