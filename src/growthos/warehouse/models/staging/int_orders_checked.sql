-- Current orders with their line and refund totals, the parsed touch (UTMs, referrer, click id) and
-- the reason an order is rejected, if any; staging keeps the good ones and quarantines the rest.
WITH line_totals AS (
    SELECT
        order_id,
        sum(unit_price * quantity) AS gross_sales,
        sum(discount) AS line_discounts,
        CAST(sum(quantity) AS BIGINT) AS units,
        count(*) FILTER (WHERE unit_price IS NULL OR unit_price < 0) AS bad_prices,
        count(*) FILTER (WHERE quantity IS NULL OR quantity < 0) AS bad_quantities,
        sum(bad_allocations) AS bad_allocations
    FROM int_order_lines
    GROUP BY order_id
),
refund_totals AS (
    SELECT
        order_id,
        sum(amount) AS refunds,
        min(refunded_at) AS first_refunded_at,
        count(*) FILTER (WHERE amount IS NULL OR amount < 0) AS bad_refunds
    FROM int_order_refund_lines
    GROUP BY order_id
),
touch AS (
    SELECT
        o.*,
        o.visit.landingPage AS landing_page,
        o.visit.referrerUrl AS referrer_url,
        lower(nullif(regexp_extract(o.visit.referrerUrl, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1), ''))
            AS referrer_host,
        lower(coalesce(
            nullif(o.visit.utmParameters.source, ''),
            nullif(url_decode(replace(regexp_extract(o.visit.landingPage, '[?&]utm_source=([^&#]*)', 1), '+', ' ')), '')
        )) AS utm_source,
        lower(coalesce(
            nullif(o.visit.utmParameters.medium, ''),
            nullif(url_decode(replace(regexp_extract(o.visit.landingPage, '[?&]utm_medium=([^&#]*)', 1), '+', ' ')), '')
        )) AS utm_medium,
        coalesce(
            nullif(o.visit.utmParameters.campaign, ''),
            nullif(url_decode(replace(regexp_extract(o.visit.landingPage, '[?&]utm_campaign=([^&#]*)', 1), '+', ' ')), '')
        ) AS utm_campaign,
        CASE
            WHEN regexp_matches(o.visit.landingPage, '[?&]gclid=') THEN 'gclid'
            WHEN regexp_matches(o.visit.landingPage, '[?&]fbclid=') THEN 'fbclid'
            WHEN regexp_matches(o.visit.landingPage, '[?&]msclkid=') THEN 'msclkid'
            WHEN regexp_matches(o.visit.landingPage, '[?&]ttclid=') THEN 'ttclid'
        END AS click_id
    FROM int_orders_current AS o
)
SELECT
    t.external_id,
    t.payload_hash,
    t.order_id,
    t.order_name,
    t.customer_id,
    t.created_at,
    t.updated_at,
    t.is_cancelled,
    t.is_test,
    t.financial_status,
    t.currency,
    t.fx_rate,
    coalesce(l.gross_sales, 0) AS gross_sales,
    t.total_discounts,
    coalesce(l.line_discounts, 0) AS line_discounts,
    t.subtotal,
    t.shipping,
    t.tax,
    t.total_price,
    t.total_refunded,
    coalesce(r.refunds, 0) AS refunds,
    r.first_refunded_at,
    coalesce(l.units, 0) AS units,
    t.has_journey,
    t.landing_page,
    t.referrer_url,
    t.referrer_host,
    t.utm_source,
    t.utm_medium,
    t.utm_campaign,
    t.click_id,
    coalesce(
        t.header_reject_reason,
        CASE
            WHEN l.bad_prices > 0 THEN 'non-numeric or negative price in lineItems.originalUnitPriceSet'
            WHEN l.bad_quantities > 0 THEN 'invalid quantity in lineItems'
            WHEN l.bad_allocations > 0 THEN 'non-numeric amount in lineItems.discountAllocations'
            WHEN r.bad_refunds > 0 THEN 'non-numeric or negative amount in refundLineItems.subtotalSet'
        END
    ) AS reject_reason
FROM touch AS t
LEFT JOIN line_totals AS l ON l.order_id = t.order_id
LEFT JOIN refund_totals AS r ON r.order_id = t.order_id
