-- One row per valid Shopify order: typed, amounts converted to the reporting currency (the source
-- currency and rate kept beside them), reporting day in the reporting time zone, touch and channel.
SELECT
    o.order_id,
    o.order_name,
    o.customer_id,
    o.created_at,
    CAST(timezone(s.reporting_tz, o.created_at) AS DATE) AS order_date,
    o.updated_at,
    o.is_test,
    o.is_cancelled,
    o.financial_status,
    o.currency AS source_currency,
    o.fx_rate,
    o.subtotal AS subtotal_source,
    CAST(o.gross_sales * o.fx_rate AS DECIMAL(18, 4)) AS gross_sales,
    CAST(o.total_discounts * o.fx_rate AS DECIMAL(18, 4)) AS discounts,
    CAST(o.refunds * o.fx_rate AS DECIMAL(18, 4)) AS refunds,
    CAST(o.subtotal * o.fx_rate AS DECIMAL(18, 4)) AS subtotal,
    CAST(o.shipping * o.fx_rate AS DECIMAL(18, 4)) AS shipping_revenue,
    CAST(o.tax * o.fx_rate AS DECIMAL(18, 4)) AS tax,
    CAST(o.total_price * o.fx_rate AS DECIMAL(18, 4)) AS total_price,
    CAST(o.total_refunded * o.fx_rate AS DECIMAL(18, 4)) AS total_refunded,
    o.first_refunded_at,
    o.units,
    o.landing_page,
    o.referrer_host,
    o.utm_source,
    o.utm_medium,
    o.utm_campaign,
    o.click_id,
    m.channel,
    CASE WHEN o.utm_campaign IS NOT NULL THEN m.channel || ':' || lower(trim(o.utm_campaign)) END
        AS campaign_key
FROM int_orders_checked AS o
CROSS JOIN cfg_settings AS s
LEFT JOIN int_channel_map AS m
    ON m.source IS NOT DISTINCT FROM o.utm_source
    AND m.medium IS NOT DISTINCT FROM o.utm_medium
    AND m.referrer IS NOT DISTINCT FROM o.referrer_host
    AND m.click_id IS NOT DISTINCT FROM o.click_id
    AND m.has_journey = o.has_journey
WHERE o.reject_reason IS NULL
