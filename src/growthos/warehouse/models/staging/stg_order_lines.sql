-- Line items of valid orders in the reporting currency, with their COGS and where it came from
-- (cost_source): 'unit_cost' = quantity x the variant's unit cost (Shopify inventoryItem.unitCost, at
-- the rate of its currency) when the line's variant has one; else 'category_margin' = list price x
-- quantity x (1 - margin of the product type, or the default margin).
SELECT
    l.order_id,
    l.line_id,
    l.sku,
    l.title,
    l.product_id,
    l.product_type,
    l.variant_id,
    l.quantity,
    o.fx_rate,
    CAST(l.unit_price * o.fx_rate AS DECIMAL(18, 4)) AS unit_price,
    CAST(l.unit_price * l.quantity * o.fx_rate AS DECIMAL(18, 4)) AS gross_sales,
    CAST(l.discount * o.fx_rate AS DECIMAL(18, 4)) AS discounts,
    coalesce(m.margin, s.default_margin) AS margin,
    c.unit_cost,
    CASE WHEN c.variant_id IS NOT NULL THEN 'unit_cost' ELSE 'category_margin' END AS cost_source,
    CAST(
        CASE
            WHEN c.variant_id IS NOT NULL THEN c.unit_cost_source * l.quantity * c.fx_rate
            ELSE l.unit_price * l.quantity * (1 - coalesce(m.margin, s.default_margin)) * o.fx_rate
        END AS DECIMAL(18, 4)
    ) AS cogs
FROM int_order_lines AS l
JOIN int_orders_checked AS o ON o.order_id = l.order_id AND o.reject_reason IS NULL
CROSS JOIN cfg_settings AS s
LEFT JOIN cfg_category_margins AS m ON m.category = l.product_type
LEFT JOIN stg_variant_costs AS c ON c.variant_id = l.variant_id AND c.has_unit_cost
