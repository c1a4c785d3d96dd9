-- Monthly acquisition cohorts: retention by calendar months since the first order, cumulative net
-- revenue and contribution per customer, blended CAC (ad spend in the cohort month / new customers)
-- and the first month whose cumulative contribution per customer covers it (CAC payback).
WITH firsts AS (
    SELECT customer_id, CAST(date_trunc('month', min(order_date)) AS DATE) AS cohort_month
    FROM fact_orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
sizes AS (
    SELECT cohort_month, count(*) AS customers FROM firsts GROUP BY cohort_month
),
last_day AS (
    SELECT greatest(max(order_date), (SELECT as_of_date - 1 FROM cfg_settings)) AS d FROM fact_orders
),
grid AS (
    SELECT
        s.cohort_month,
        s.customers,
        unnest(range(
            0,
            (year(l.d) * 12 + month(l.d)) - (year(s.cohort_month) * 12 + month(s.cohort_month)) + 1
        )) AS month_index
    FROM sizes AS s
    CROSS JOIN last_day AS l
),
activity AS (
    SELECT
        f.cohort_month,
        (year(o.order_date) * 12 + month(o.order_date)) - (year(f.cohort_month) * 12 + month(f.cohort_month))
            AS month_index,
        count(DISTINCT o.customer_id) AS active_customers,
        count(*) AS orders,
        sum(o.net_revenue) AS net_revenue,
        sum(o.contribution_before_marketing) AS contribution
    FROM fact_orders AS o
    JOIN firsts AS f ON f.customer_id = o.customer_id
    GROUP BY 1, 2
),
spend AS (
    SELECT CAST(date_trunc('month', date) AS DATE) AS month, sum(spend) AS spend
    FROM fact_spend
    GROUP BY 1
),
joined AS (
    SELECT
        g.cohort_month,
        g.month_index,
        g.customers,
        coalesce(a.active_customers, 0) AS active_customers,
        coalesce(a.orders, 0) AS orders,
        coalesce(a.net_revenue, 0) AS net_revenue,
        coalesce(a.contribution, 0) AS contribution,
        sum(coalesce(a.net_revenue, 0)) OVER w AS cumulative_net_revenue,
        sum(coalesce(a.contribution, 0)) OVER w AS cumulative_contribution,
        coalesce(sp.spend, 0) AS cohort_month_spend,
        CAST(g.cohort_month + INTERVAL (g.month_index + 1) MONTH AS DATE) <= l.d + 1 AS is_complete
    FROM grid AS g
    CROSS JOIN last_day AS l
    LEFT JOIN activity AS a ON a.cohort_month = g.cohort_month AND a.month_index = g.month_index
    LEFT JOIN spend AS sp ON sp.month = g.cohort_month
    WINDOW w AS (PARTITION BY g.cohort_month ORDER BY g.month_index ROWS UNBOUNDED PRECEDING)
)
SELECT
    cohort_month,
    month_index,
    customers,
    active_customers,
    CAST(active_customers AS DOUBLE) / customers AS retention_rate,
    orders,
    net_revenue,
    contribution,
    cumulative_net_revenue,
    cumulative_contribution,
    cumulative_net_revenue / customers AS cumulative_net_revenue_per_customer,
    cumulative_contribution / customers AS cumulative_contribution_per_customer,
    cohort_month_spend / customers AS cac,
    min(CASE WHEN cumulative_contribution / customers >= cohort_month_spend / customers THEN month_index END)
        OVER (PARTITION BY cohort_month) AS payback_month,
    is_complete
FROM joined
