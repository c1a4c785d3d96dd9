-- Customers with their first order, cohort week (Monday) and month, and acquisition channel.
WITH firsts AS (
    SELECT
        customer_id,
        order_id AS first_order_id,
        order_date AS first_order_date,
        channel AS acquisition_channel,
        campaign_key AS acquisition_campaign_key
    FROM fact_orders
    WHERE is_first_order
),
totals AS (
    SELECT
        customer_id,
        count(*) AS orders,
        sum(net_revenue) AS net_revenue,
        sum(contribution_before_marketing) AS contribution_before_marketing,
        max(order_date) AS last_order_date
    FROM fact_orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    c.created_at,
    c.created_date,
    c.country,
    c.province,
    f.first_order_id,
    f.first_order_date,
    t.last_order_date,
    CAST(date_trunc('week', f.first_order_date) AS DATE) AS cohort_week,
    CAST(date_trunc('month', f.first_order_date) AS DATE) AS cohort_month,
    coalesce(f.acquisition_channel, 'none') AS acquisition_channel,
    f.acquisition_campaign_key,
    coalesce(t.orders, 0) AS orders,
    coalesce(t.net_revenue, 0) AS net_revenue,
    coalesce(t.contribution_before_marketing, 0) AS contribution_before_marketing
FROM stg_customers AS c
LEFT JOIN firsts AS f ON f.customer_id = c.customer_id
LEFT JOIN totals AS t ON t.customer_id = c.customer_id
