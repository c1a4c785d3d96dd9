-- Fact rows pointing at dimension rows that do not exist.
WITH orphans AS (
    SELECT 'fact_orders.customer_id -> dim_customer' AS what, count(*) AS n
    FROM fact_orders AS f
    WHERE f.customer_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM dim_customer AS d WHERE d.customer_id = f.customer_id)
    UNION ALL
    SELECT 'fact_orders.channel -> dim_channel', count(*)
    FROM fact_orders AS f WHERE NOT EXISTS (SELECT 1 FROM dim_channel AS d WHERE d.channel = f.channel)
    UNION ALL
    SELECT 'fact_orders.order_date -> dim_date', count(*)
    FROM fact_orders AS f WHERE NOT EXISTS (SELECT 1 FROM dim_date AS d WHERE d.date = f.order_date)
    UNION ALL
    SELECT 'fact_spend.campaign_key -> dim_campaign', count(*)
    FROM fact_spend AS f WHERE NOT EXISTS (SELECT 1 FROM dim_campaign AS d WHERE d.campaign_key = f.campaign_key)
    UNION ALL
    SELECT 'fact_spend.channel -> dim_channel', count(*)
    FROM fact_spend AS f WHERE NOT EXISTS (SELECT 1 FROM dim_channel AS d WHERE d.channel = f.channel)
    UNION ALL
    SELECT 'fact_traffic.channel -> dim_channel', count(*)
    FROM fact_traffic AS f WHERE NOT EXISTS (SELECT 1 FROM dim_channel AS d WHERE d.channel = f.channel)
)
SELECT
    CAST(sum(n) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n, '; ' ORDER BY what) FILTER (WHERE n > 0), '') AS detail
FROM orphans
