-- One row per line item of the current order versions, amounts in the shop currency.
WITH lines AS (
    SELECT order_id, unnest(line_items) AS li
    FROM int_orders_current
    WHERE order_id IS NOT NULL
),
flat AS (
    SELECT
        order_id,
        li.id AS line_id,
        li.sku AS sku,
        li.title AS title,
        li.product.id AS product_id,
        coalesce(li.product.productType, '') AS product_type,
        li.variant.id AS variant_id,
        try_cast(li.quantity AS INTEGER) AS quantity,
        try_cast(li.originalUnitPriceSet.shopMoney.amount AS DECIMAL(18, 2)) AS unit_price,
        upper(li.originalUnitPriceSet.shopMoney.currencyCode) AS currency,
        li.discountAllocations AS allocations
    FROM lines
),
allocations AS (
    SELECT order_id, line_id, unnest(allocations) AS d
    FROM flat
),
discounts AS (
    SELECT
        order_id,
        line_id,
        sum(try_cast(d.allocatedAmountSet.shopMoney.amount AS DECIMAL(18, 2))) AS discount,
        count(*) FILTER (WHERE try_cast(d.allocatedAmountSet.shopMoney.amount AS DECIMAL(18, 2)) IS NULL)
            AS bad_allocations
    FROM allocations
    GROUP BY order_id, line_id
)
SELECT
    f.order_id,
    f.line_id,
    f.sku,
    f.title,
    f.product_id,
    f.product_type,
    f.variant_id,
    f.quantity,
    f.unit_price,
    f.currency,
    coalesce(d.discount, 0) AS discount,
    coalesce(d.bad_allocations, 0) AS bad_allocations
FROM flat AS f
LEFT JOIN discounts AS d ON d.order_id = f.order_id AND d.line_id IS NOT DISTINCT FROM f.line_id
