-- Days between each source's latest data day and the workspace's last full day (worst source);
-- empty (a failure) when no source has delivered any data.
WITH latest AS (
    SELECT 'shopify' AS source, max(order_date) AS last_day FROM stg_orders
    UNION ALL SELECT 'meta', max(spend_date) FROM stg_spend WHERE platform = 'meta'
    UNION ALL SELECT 'google_ads', max(spend_date) FROM stg_spend WHERE platform = 'google_ads'
    UNION ALL SELECT 'ga4', max(traffic_date) FROM stg_traffic
),
present AS (
    SELECT l.source, (s.as_of_date - 1) - l.last_day AS lag_days, l.last_day
    FROM latest AS l CROSS JOIN cfg_settings AS s
    WHERE l.last_day IS NOT NULL
)
SELECT
    CAST(max(lag_days) AS DOUBLE) AS observed,
    coalesce(string_agg(source || ' ' || CAST(last_day AS VARCHAR) || ' (' || lag_days || 'd)', '; '
        ORDER BY source), 'no data from any source') AS detail
FROM present
