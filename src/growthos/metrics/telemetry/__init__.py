"""Queries over the telemetry apps send to GrowthOS (Core Web Vitals, AI calls, database queries), one module each."""
