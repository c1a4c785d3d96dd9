"""Resource samples of an app's service: utilisation, connections and instance count (for scaling advice)."""

from __future__ import annotations

from growthos.sources.telemetry.records import TIMESTAMP, Field, RecordKind

RESOURCE_SAMPLE = RecordKind(
    name="resource_sample",
    table="telemetry_resources",
    description="One sample of a service's resource use, averaged over its instances.",
    fields=(
        Field("service", "string", required=True, max_length=128),
        Field("instance_count", "int", required=True, minimum=0, maximum=100_000),
        Field("cpu_percent", "float", minimum=0, maximum=10_000,
              description="Average CPU use as a percentage of the instances' CPU request (HPA's utilisation)."),
        Field("memory_percent", "float", minimum=0, maximum=10_000,
              description="Average memory use as a percentage of the instances' memory request."),
        Field("connections", "int", minimum=0, description="Open connections (e.g. to the database)."),
        TIMESTAMP,
    ),
)
