-- Net revenue in fact_orders equals the Shopify order subtotals (after discounts) minus refunded
-- line items, converted at the configured rates: raw -> staging -> fact, in reporting currency.
WITH from_orders AS (
    SELECT sum((o.subtotal - o.refunds) * o.fx_rate) AS net
    FROM int_orders_checked AS o
    WHERE o.reject_reason IS NULL AND NOT o.is_test AND NOT o.is_cancelled
),
from_fact AS (
    SELECT sum(net_revenue) AS net FROM fact_orders
),
spend_raw AS (
    SELECT sum(spend_source * fx_rate) AS spend FROM int_spend_checked WHERE reject_reason IS NULL
),
spend_fact AS (
    SELECT sum(spend) AS spend FROM fact_spend
)
SELECT
    CAST(abs(coalesce(f.net, 0) - coalesce(o.net, 0)) + abs(coalesce(sf.spend, 0) - coalesce(sr.spend, 0)) AS DOUBLE)
        AS observed,
    'net revenue: orders ' || CAST(round(coalesce(o.net, 0), 2) AS VARCHAR) || ' vs fact '
        || CAST(round(coalesce(f.net, 0), 2) AS VARCHAR) || '; ad spend: raw '
        || CAST(round(coalesce(sr.spend, 0), 2) AS VARCHAR) || ' vs fact '
        || CAST(round(coalesce(sf.spend, 0), 2) AS VARCHAR) AS detail
FROM from_orders AS o, from_fact AS f, spend_raw AS sr, spend_fact AS sf
