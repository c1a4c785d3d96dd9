"""JSON API routers, one module per area; each route parses input, calls one service, returns JSON."""

from fastapi import APIRouter

from growthos.server.api import (
    aarrr,
    acquisition,
    alerts,
    attribution,
    builds,
    catalogue,
    collector,
    connections,
    forecast,
    health,
    jobs,
    loops,
    ltv,
    metrics,
    oauth,
    product,
    snapshots,
    stream,
    syncs,
    telemetry,
    telemetry_ai,
    telemetry_database,
    telemetry_resources,
    telemetry_vitals,
    wbr,
)

router = APIRouter(prefix="/api")
router.include_router(health.router)
router.include_router(metrics.router)
router.include_router(catalogue.router)
router.include_router(jobs.router)
router.include_router(builds.router)
router.include_router(stream.router)
router.include_router(collector.analytics_router)
router.include_router(product.router)
router.include_router(aarrr.router)
router.include_router(connections.router)
router.include_router(oauth.router)
router.include_router(syncs.router)
router.include_router(forecast.router)
router.include_router(snapshots.router)
router.include_router(alerts.router)
router.include_router(wbr.router)
router.include_router(ltv.router)
router.include_router(loops.router)
router.include_router(attribution.router)
router.include_router(acquisition.router)
router.include_router(telemetry.router)
router.include_router(telemetry_ai.router)
router.include_router(telemetry_database.router)
router.include_router(telemetry_resources.router)
router.include_router(telemetry_vitals.router)

segment_router = collector.segment_router
"""Segment's Tracking API, served at /v1 beside /api."""
