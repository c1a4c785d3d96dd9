-- The current version of every Shopify order (newest source updatedAt, then newest ingestion),
-- parsed once from JSON into typed columns; reject_reason says why an order is quarantined.
WITH latest AS (
    SELECT
        external_id,
        payload_hash,
        ingest_seq,
        json_transform(payload, '{
            "id": "VARCHAR", "name": "VARCHAR", "createdAt": "VARCHAR", "updatedAt": "VARCHAR",
            "cancelledAt": "VARCHAR", "test": "BOOLEAN", "displayFinancialStatus": "VARCHAR",
            "customer": {"id": "VARCHAR"},
            "subtotalPriceSet": {"shopMoney": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}},
            "totalDiscountsSet": {"shopMoney": {"amount": "VARCHAR"}},
            "totalShippingPriceSet": {"shopMoney": {"amount": "VARCHAR"}},
            "totalTaxSet": {"shopMoney": {"amount": "VARCHAR"}},
            "totalPriceSet": {"shopMoney": {"amount": "VARCHAR"}},
            "totalRefundedSet": {"shopMoney": {"amount": "VARCHAR"}},
            "lineItems": {"nodes": [{
                "id": "VARCHAR", "sku": "VARCHAR", "title": "VARCHAR", "quantity": "VARCHAR",
                "product": {"id": "VARCHAR", "productType": "VARCHAR"}, "variant": {"id": "VARCHAR"},
                "originalUnitPriceSet": {"shopMoney": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}},
                "discountAllocations": [{"allocatedAmountSet": {"shopMoney": {"amount": "VARCHAR"}}}]
            }]},
            "refunds": [{"id": "VARCHAR", "createdAt": "VARCHAR",
                "refundLineItems": {"nodes": [{"lineItem": {"id": "VARCHAR"}, "quantity": "VARCHAR",
                                               "subtotalSet": {"shopMoney": {"amount": "VARCHAR"}}}]}}],
            "customerJourneySummary": {
                "firstVisit": {"landingPage": "VARCHAR", "referrerUrl": "VARCHAR",
                               "utmParameters": {"source": "VARCHAR", "medium": "VARCHAR", "campaign": "VARCHAR"}},
                "lastVisit": {"landingPage": "VARCHAR", "referrerUrl": "VARCHAR",
                              "utmParameters": {"source": "VARCHAR", "medium": "VARCHAR", "campaign": "VARCHAR"}}
            }
        }') AS o,
        (payload ->> '$.customerJourneySummary') IS NOT NULL AS has_journey  -- present and not JSON null
    FROM raw_events
    WHERE source = 'shopify' AND entity = 'order'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(external_id, payload_hash)
        ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC
    ) = 1
),
typed AS (
    SELECT
        external_id,
        payload_hash,
        o.id AS order_id,
        o.name AS order_name,
        o.customer.id AS customer_id,
        try_cast(o.createdAt AS TIMESTAMPTZ) AS created_at,
        try_cast(o.updatedAt AS TIMESTAMPTZ) AS updated_at,
        o.cancelledAt IS NOT NULL AS is_cancelled,
        coalesce(o.test, false) AS is_test,
        o.displayFinancialStatus AS financial_status,
        upper(o.subtotalPriceSet.shopMoney.currencyCode) AS currency,
        o.subtotalPriceSet.shopMoney.amount AS subtotal_text,
        try_cast(o.subtotalPriceSet.shopMoney.amount AS DECIMAL(18, 2)) AS subtotal,
        try_cast(o.totalDiscountsSet.shopMoney.amount AS DECIMAL(18, 2)) AS total_discounts,
        try_cast(coalesce(o.totalShippingPriceSet.shopMoney.amount, '0') AS DECIMAL(18, 2)) AS shipping,
        try_cast(coalesce(o.totalTaxSet.shopMoney.amount, '0') AS DECIMAL(18, 2)) AS tax,
        try_cast(o.totalPriceSet.shopMoney.amount AS DECIMAL(18, 2)) AS total_price,
        try_cast(coalesce(o.totalRefundedSet.shopMoney.amount, '0') AS DECIMAL(18, 2)) AS total_refunded,
        has_journey,
        o.lineItems.nodes AS line_items,
        o.refunds AS refunds,
        coalesce(o.customerJourneySummary.firstVisit, o.customerJourneySummary.lastVisit) AS visit
    FROM latest
)
SELECT
    t.*,
    CASE
        WHEN t.order_id IS NULL OR t.external_id IS NULL THEN 'missing id'
        WHEN t.created_at IS NULL THEN 'missing or invalid createdAt'
        WHEN t.currency IS NULL THEN 'missing currency'
        WHEN fx.currency IS NULL THEN 'unknown currency ' || t.currency
        WHEN t.subtotal IS NULL THEN 'non-numeric amount in subtotalPriceSet'
        WHEN t.total_discounts IS NULL THEN 'non-numeric amount in totalDiscountsSet'
        WHEN t.total_price IS NULL THEN 'non-numeric amount in totalPriceSet'
        WHEN t.shipping IS NULL OR t.tax IS NULL OR t.total_refunded IS NULL
            THEN 'non-numeric amount in shipping, tax or refunded totals'
    END AS header_reject_reason,
    fx.rate AS fx_rate
FROM typed AS t
LEFT JOIN cfg_fx_rates AS fx ON fx.currency = t.currency
