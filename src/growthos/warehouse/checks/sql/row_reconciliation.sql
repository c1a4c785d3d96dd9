-- Every current raw record ends up in staging or in quarantine, and every counted staged order
-- (not test, not cancelled) in fact_orders.
WITH raw_current AS (
    SELECT source, entity, count(DISTINCT coalesce(external_id, payload_hash)) AS n
    FROM raw_events
    GROUP BY source, entity
),
quarantined AS (
    SELECT source, entity, count(*) AS n FROM stg_quarantine GROUP BY source, entity
),
staged AS (
    SELECT 'shopify' AS source, 'order' AS entity, count(*) AS n FROM stg_orders
    UNION ALL SELECT 'shopify', 'customer', count(*) FROM stg_customers
    UNION ALL SELECT 'shopify', 'product', count(*) FROM int_products_checked WHERE reject_reason IS NULL
    UNION ALL SELECT platform, CASE platform WHEN 'meta' THEN 'ads_insights' ELSE 'campaign_daily' END, count(*)
        FROM stg_spend GROUP BY platform
    UNION ALL SELECT 'ga4', 'traffic_daily', count(*) FROM stg_traffic
),
gaps AS (
    SELECT r.source || '.' || r.entity AS what,
           r.n - coalesce(s.n, 0) - coalesce(q.n, 0) AS n
    FROM raw_current AS r
    LEFT JOIN staged AS s ON s.source = r.source AND s.entity = r.entity
    LEFT JOIN quarantined AS q ON q.source = r.source AND q.entity = r.entity
    UNION ALL
    SELECT 'stg_orders (counted) -> fact_orders',
        (SELECT count(*) FROM stg_orders WHERE NOT is_test AND NOT is_cancelled) - (SELECT count(*) FROM fact_orders)
)
SELECT
    CAST(sum(abs(n)) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n, '; ' ORDER BY what) FILTER (WHERE n <> 0), '') AS detail
FROM gaps
