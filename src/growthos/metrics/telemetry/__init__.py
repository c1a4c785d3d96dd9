"""Queries over the telemetry apps send to GrowthOS, one module each: web vitals, AI calls, database queries,
resource samples; ``headline`` gathers what the performance alert rules watch."""
