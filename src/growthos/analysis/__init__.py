"""Analysis: snapshots, diffs, significance, health, insights, forecasts, anomalies."""
