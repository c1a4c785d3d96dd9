-- Amounts that must never be negative, and refunds larger than what was sold.
WITH bad AS (
    SELECT 'fact_orders negative amounts' AS what, count(*) FILTER (
        WHERE gross_sales < 0 OR discounts < 0 OR refunds < 0 OR cogs < 0 OR payment_fees < 0) AS n
    FROM fact_orders
    UNION ALL
    SELECT 'fact_orders refunds > gross sales - discounts',
        count(*) FILTER (WHERE refunds > gross_sales - discounts + 0.01)
    FROM fact_orders
    UNION ALL
    SELECT 'fact_spend negative spend, impressions or clicks',
        count(*) FILTER (WHERE spend < 0 OR impressions < 0 OR clicks < 0)
    FROM fact_spend
    UNION ALL
    SELECT 'fact_traffic negative counts', count(*) FILTER (
        WHERE sessions < 0 OR users < 0 OR add_to_carts < 0 OR checkouts < 0 OR purchases < 0)
    FROM fact_traffic
)
SELECT
    CAST(sum(n) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n, '; ' ORDER BY what) FILTER (WHERE n > 0), '') AS detail
FROM bad
