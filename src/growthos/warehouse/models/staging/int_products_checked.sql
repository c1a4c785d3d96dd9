-- The current version of every Shopify product (newest source updatedAt, then newest ingestion) with its
-- variants, and the reason a product is rejected, if any: a missing id, a variant without an id, or a
-- unit cost (inventoryItem.unitCost) that is not a non-negative number in a configured currency. A
-- variant with no unit cost at all is valid: its order lines fall back to the category margin.
WITH latest AS (
    SELECT
        coalesce(external_id, payload_hash) AS row_key,
        external_id,
        payload_hash,
        json_transform(payload, '{
            "id": "VARCHAR", "title": "VARCHAR", "productType": "VARCHAR", "updatedAt": "VARCHAR",
            "variants": {"nodes": [{
                "id": "VARCHAR", "sku": "VARCHAR", "title": "VARCHAR", "price": "VARCHAR",
                "inventoryItem": {"id": "VARCHAR", "unitCost": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}
            }]}
        }') AS p
    FROM raw_events
    WHERE source = 'shopify' AND entity = 'product'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(external_id, payload_hash)
        ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC
    ) = 1
),
variants AS (
    SELECT row_key, unnest(p.variants.nodes) AS v
    FROM latest
),
variant_problems AS (
    SELECT
        v.row_key,
        count(*) FILTER (WHERE v.v.id IS NULL) AS missing_ids,
        count(*) FILTER (
            WHERE v.v.inventoryItem.unitCost IS NOT NULL
                AND coalesce(try_cast(v.v.inventoryItem.unitCost.amount AS DECIMAL(18, 4)) < 0, true)
        ) AS bad_costs,
        count(*) FILTER (WHERE v.v.inventoryItem.unitCost IS NOT NULL AND fx.currency IS NULL) AS unknown_currencies
    FROM variants AS v
    LEFT JOIN cfg_fx_rates AS fx ON fx.currency = upper(v.v.inventoryItem.unitCost.currencyCode)
    GROUP BY v.row_key
)
SELECT
    l.external_id,
    l.payload_hash,
    l.p.id AS product_id,
    l.p.title AS title,
    coalesce(l.p.productType, '') AS product_type,
    try_cast(l.p.updatedAt AS TIMESTAMPTZ) AS updated_at,
    l.p.variants.nodes AS variants,
    CASE
        WHEN l.p.id IS NULL OR l.external_id IS NULL THEN 'missing id'
        WHEN v.missing_ids > 0 THEN 'variant without an id'
        WHEN v.bad_costs > 0 THEN 'non-numeric or negative amount in variants.inventoryItem.unitCost'
        WHEN v.unknown_currencies > 0 THEN 'unit cost in a currency without a configured rate'
    END AS reject_reason
FROM latest AS l
LEFT JOIN variant_problems AS v ON v.row_key = l.row_key
