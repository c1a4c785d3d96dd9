-- One row per variant of the valid Shopify products: its price and its unit cost (inventoryItem.unitCost)
-- in the source currency and converted to the reporting currency at the configured rate; unit cost is
-- empty when the merchant entered none (its order lines then use the category margin). A variant id
-- listed by two products is kept once, from the most recently updated product.
WITH variants AS (
    SELECT product_id, product_type, updated_at, unnest(variants) AS v
    FROM int_products_checked
    WHERE reject_reason IS NULL
),
typed AS (
    SELECT
        v.v.id AS variant_id,
        product_id,
        product_type,
        v.v.sku AS sku,
        v.v.title AS title,
        try_cast(v.v.price AS DECIMAL(18, 2)) AS price_source,
        v.v.inventoryItem.id AS inventory_item_id,
        try_cast(v.v.inventoryItem.unitCost.amount AS DECIMAL(18, 4)) AS unit_cost_source,
        upper(v.v.inventoryItem.unitCost.currencyCode) AS cost_currency,
        updated_at AS product_updated_at
    FROM variants AS v
    QUALIFY row_number() OVER (PARTITION BY v.v.id ORDER BY updated_at DESC NULLS LAST, product_id DESC) = 1
)
SELECT
    t.variant_id,
    t.product_id,
    t.product_type,
    t.sku,
    t.title,
    t.price_source,
    t.inventory_item_id,
    t.unit_cost_source,
    t.cost_currency,
    fx.rate AS fx_rate,
    CAST(t.unit_cost_source * fx.rate AS DECIMAL(18, 4)) AS unit_cost,
    t.unit_cost_source IS NOT NULL AS has_unit_cost,
    t.product_updated_at
FROM typed AS t
LEFT JOIN cfg_fx_rates AS fx ON fx.currency = t.cost_currency
