-- One row per counted order (not test, not cancelled), in the reporting currency:
-- net_revenue = gross_sales - discounts - refunds;
-- contribution_before_marketing = net_revenue + shipping_revenue - cogs - shipping_cost - payment_fees.
-- cogs_from_unit_cost is the part of cogs priced from Shopify unit costs (the rest used category margins).
-- customer_segment: 'new' (the customer's first order), 'returning' or 'guest' (no customer).
-- Refunds count against the order's own day. customer_key is a dense integer id of the customer (fast
-- distinct counts); rows are stored in order-date order so date filters skip most of the table.
WITH counted AS (
    SELECT * FROM stg_orders WHERE NOT is_test AND NOT is_cancelled
),
line_costs AS (
    SELECT
        order_id,
        sum(cogs) AS cogs,
        coalesce(sum(cogs) FILTER (WHERE cost_source = 'unit_cost'), 0) AS cogs_from_unit_cost
    FROM stg_order_lines
    GROUP BY order_id
),
ranked AS (
    SELECT
        o.*,
        CASE WHEN o.customer_id IS NOT NULL THEN
            row_number() OVER (PARTITION BY o.customer_id ORDER BY o.created_at, o.order_id)
        END AS customer_order_index,
        CASE WHEN o.customer_id IS NOT NULL THEN
            min(o.order_date) OVER (PARTITION BY o.customer_id)
        END AS customer_first_order_date,
        CASE WHEN o.customer_id IS NOT NULL THEN
            first_value(coalesce(o.channel, 'unknown')) OVER customer_orders
        END AS acquisition_channel,
        CASE WHEN o.customer_id IS NOT NULL THEN
            first_value(o.campaign_key) OVER customer_orders
        END AS acquisition_campaign_key
    FROM counted AS o
    WINDOW customer_orders AS (PARTITION BY o.customer_id ORDER BY o.created_at, o.order_id)
)
SELECT
    r.order_id,
    r.order_name,
    r.order_date,
    r.created_at,
    r.customer_id,
    CASE WHEN r.customer_id IS NOT NULL THEN dense_rank() OVER (ORDER BY r.customer_id) END AS customer_key,
    r.customer_order_index,
    r.customer_order_index = 1 AS is_first_order,
    CASE WHEN r.customer_id IS NULL THEN 'guest' WHEN r.customer_order_index = 1 THEN 'new' ELSE 'returning' END
        AS customer_segment,
    r.customer_first_order_date,
    date_diff('day', r.customer_first_order_date, r.order_date) AS days_since_first_order,
    coalesce(r.channel, 'unknown') AS channel,
    r.campaign_key,
    r.acquisition_channel,
    r.acquisition_campaign_key,
    r.source_currency,
    r.units,
    r.gross_sales,
    r.discounts,
    r.refunds,
    r.gross_sales - r.discounts - r.refunds AS net_revenue,
    r.shipping_revenue,
    r.tax,
    r.total_price,
    CAST(coalesce(c.cogs, 0) AS DECIMAL(18, 4)) AS cogs,
    CAST(coalesce(c.cogs_from_unit_cost, 0) AS DECIMAL(18, 4)) AS cogs_from_unit_cost,
    CAST(s.shipping_cost_per_order AS DECIMAL(18, 4)) AS shipping_cost,
    CAST(r.total_price * s.payment_fee_rate + s.payment_fee_fixed AS DECIMAL(18, 4)) AS payment_fees,
    r.gross_sales - r.discounts - r.refunds + r.shipping_revenue - CAST(coalesce(c.cogs, 0) AS DECIMAL(18, 4))
        - CAST(s.shipping_cost_per_order AS DECIMAL(18, 4))
        - CAST(r.total_price * s.payment_fee_rate + s.payment_fee_fixed AS DECIMAL(18, 4))
        AS contribution_before_marketing,
    r.refunds > 0 AS is_refunded
FROM ranked AS r
CROSS JOIN cfg_settings AS s
LEFT JOIN line_costs AS c ON c.order_id = r.order_id
ORDER BY r.order_date, r.order_id
