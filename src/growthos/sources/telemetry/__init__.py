"""Telemetry that apps send to GrowthOS (Core Web Vitals, AI calls, database queries, resource samples): the
record kinds and the writer that stores them in the warehouse."""

from growthos.sources.telemetry.ai_calls import AI_CALL
from growthos.sources.telemetry.db_queries import DB_QUERY
from growthos.sources.telemetry.records import Field, RecordKind, decode
from growthos.sources.telemetry.resources import RESOURCE_SAMPLE
from growthos.sources.telemetry.web_vitals import WEB_VITAL
from growthos.sources.telemetry.writer import TelemetryWriter

KINDS: dict[str, RecordKind] = {kind.name: kind for kind in (WEB_VITAL, AI_CALL, DB_QUERY, RESOURCE_SAMPLE)}
"""Kind name -> its record declaration."""

__all__ = ["KINDS", "Field", "RecordKind", "TelemetryWriter", "decode"]
