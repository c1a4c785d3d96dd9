-- Net revenue per order in fact_orders equals the Shopify order's subtotal (after discounts) minus
-- its refunded line items at the configured rate, and ad spend per platform x campaign x day equals
-- the raw rows' spend: the sum of absolute differences, so errors cannot cancel out.
WITH staged_orders AS (
    SELECT order_id, (subtotal - refunds) * fx_rate AS net
    FROM int_orders_checked
    WHERE reject_reason IS NULL AND NOT is_test AND NOT is_cancelled
),
order_diffs AS (
    SELECT
        abs(coalesce(f.net_revenue, 0) - coalesce(o.net, 0)) AS diff,
        coalesce(o.net, 0) AS staged,
        coalesce(f.net_revenue, 0) AS fact
    FROM staged_orders AS o
    FULL OUTER JOIN fact_orders AS f ON f.order_id = o.order_id
),
raw_spend AS (
    SELECT platform, campaign_id, spend_date, sum(spend_source * fx_rate) AS spend
    FROM int_spend_checked
    WHERE reject_reason IS NULL
    GROUP BY platform, campaign_id, spend_date
),
fact_spend_keyed AS (
    SELECT platform, campaign_id, date AS spend_date, sum(spend) AS spend
    FROM fact_spend
    GROUP BY platform, campaign_id, date
),
spend_diffs AS (
    SELECT
        abs(coalesce(f.spend, 0) - coalesce(r.spend, 0)) AS diff,
        coalesce(r.spend, 0) AS staged,
        coalesce(f.spend, 0) AS fact
    FROM raw_spend AS r
    FULL OUTER JOIN fact_spend_keyed AS f
        ON f.platform = r.platform AND f.campaign_id = r.campaign_id AND f.spend_date = r.spend_date
),
totals AS (
    SELECT
        (SELECT coalesce(sum(diff), 0) FROM order_diffs) AS order_diff,
        (SELECT coalesce(sum(staged), 0) FROM order_diffs) AS order_staged,
        (SELECT coalesce(sum(fact), 0) FROM order_diffs) AS order_fact,
        (SELECT coalesce(sum(diff), 0) FROM spend_diffs) AS spend_diff,
        (SELECT coalesce(sum(staged), 0) FROM spend_diffs) AS spend_staged,
        (SELECT coalesce(sum(fact), 0) FROM spend_diffs) AS spend_fact
)
SELECT
    CAST(order_diff + spend_diff AS DOUBLE) AS observed,
    'net revenue: orders ' || CAST(round(order_staged, 2) AS VARCHAR) || ' vs fact '
        || CAST(round(order_fact, 2) AS VARCHAR) || ' (per-order abs. diff. ' || CAST(round(order_diff, 2) AS VARCHAR)
        || '); ad spend: raw ' || CAST(round(spend_staged, 2) AS VARCHAR) || ' vs fact '
        || CAST(round(spend_fact, 2) AS VARCHAR) || ' (abs. diff. ' || CAST(round(spend_diff, 2) AS VARCHAR) || ')'
        AS detail
FROM totals
