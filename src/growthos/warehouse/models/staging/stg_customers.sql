-- One row per valid Shopify customer.
SELECT
    customer_id,
    created_at,
    CAST(timezone(s.reporting_tz, created_at) AS DATE) AS created_date,
    updated_at,
    email,
    state,
    number_of_orders,
    country,
    province
FROM int_customers_checked
CROSS JOIN cfg_settings AS s
WHERE reject_reason IS NULL
