-- Required columns that are empty.
WITH nulls AS (
    SELECT 'fact_orders' AS what, count(*) FILTER (
        WHERE order_id IS NULL OR order_date IS NULL OR net_revenue IS NULL OR channel IS NULL
            OR gross_sales IS NULL OR cogs IS NULL) AS n
    FROM fact_orders
    UNION ALL
    SELECT 'fact_spend', count(*) FILTER (
        WHERE date IS NULL OR spend IS NULL OR channel IS NULL OR campaign_key IS NULL)
    FROM fact_spend
    UNION ALL
    SELECT 'fact_traffic', count(*) FILTER (WHERE date IS NULL OR sessions IS NULL OR channel IS NULL)
    FROM fact_traffic
    UNION ALL
    SELECT 'dim_customer', count(*) FILTER (WHERE customer_id IS NULL) FROM dim_customer
)
SELECT
    CAST(sum(n) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n || ' rows', '; ' ORDER BY what) FILTER (WHERE n > 0), '') AS detail
FROM nulls
