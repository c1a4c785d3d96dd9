-- Current Shopify customers, typed, with the reason a record is rejected, if any.
WITH latest AS (
    SELECT
        external_id,
        payload_hash,
        json_transform(payload, '{
            "id": "VARCHAR", "createdAt": "VARCHAR", "updatedAt": "VARCHAR", "email": "VARCHAR",
            "state": "VARCHAR", "numberOfOrders": "VARCHAR", "tags": ["VARCHAR"],
            "amountSpent": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
            "defaultAddress": {"countryCodeV2": "VARCHAR", "provinceCode": "VARCHAR"}
        }') AS c
    FROM raw_events
    WHERE source = 'shopify' AND entity = 'customer'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(external_id, payload_hash)
        ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC
    ) = 1
)
SELECT
    external_id,
    payload_hash,
    c.id AS customer_id,
    try_cast(c.createdAt AS TIMESTAMPTZ) AS created_at,
    try_cast(c.updatedAt AS TIMESTAMPTZ) AS updated_at,
    c.email AS email,
    c.state AS state,
    try_cast(c.numberOfOrders AS INTEGER) AS number_of_orders,
    c.defaultAddress.countryCodeV2 AS country,
    c.defaultAddress.provinceCode AS province,
    c.tags AS tags,
    CASE
        WHEN c.id IS NULL OR external_id IS NULL THEN 'missing id'
        WHEN try_cast(c.createdAt AS TIMESTAMPTZ) IS NULL THEN 'missing or invalid createdAt'
    END AS reject_reason
FROM latest
