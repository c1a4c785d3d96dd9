-- Current GA4 runReport rows (date x session source / medium / campaign), typed, with the reason a
-- row is rejected, if any. Positions follow growthos/sources/ga4_report.py.
WITH latest AS (
    SELECT
        external_id,
        payload_hash,
        json_transform(payload, '{"dimensionValues": [{"value": "VARCHAR"}],
                                  "metricValues": [{"value": "VARCHAR"}]}') AS r
    FROM raw_events
    WHERE source = 'ga4' AND entity = 'traffic_daily'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(external_id, payload_hash)
        ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC
    ) = 1
),
typed AS (
    SELECT
        external_id,
        payload_hash,
        try_strptime(r.dimensionValues[1].value, '%Y%m%d')::DATE AS traffic_date,
        lower(coalesce(r.dimensionValues[2].value, '(not set)')) AS session_source,
        lower(coalesce(r.dimensionValues[3].value, '(not set)')) AS session_medium,
        coalesce(r.dimensionValues[4].value, '(not set)') AS session_campaign,
        try_cast(r.metricValues[1].value AS BIGINT) AS sessions,
        try_cast(r.metricValues[2].value AS BIGINT) AS users,
        try_cast(r.metricValues[3].value AS BIGINT) AS engaged_sessions,
        try_cast(r.metricValues[4].value AS BIGINT) AS add_to_carts,
        try_cast(r.metricValues[5].value AS BIGINT) AS checkouts,
        try_cast(r.metricValues[6].value AS BIGINT) AS purchases,
        try_cast(r.metricValues[7].value AS DECIMAL(18, 2)) AS purchase_revenue
    FROM latest
)
SELECT
    *,
    CASE
        WHEN external_id IS NULL THEN 'missing id'
        WHEN traffic_date IS NULL THEN 'missing or invalid date'
        WHEN sessions IS NULL OR users IS NULL OR engaged_sessions IS NULL OR add_to_carts IS NULL
            OR checkouts IS NULL OR purchases IS NULL THEN 'non-numeric metric value'
        WHEN sessions < 0 THEN 'negative sessions'
    END AS reject_reason
FROM typed
