-- Line items of valid orders in the reporting currency, with the category margin and COGS
-- (list price x quantity x (1 - margin of the product type)).
SELECT
    l.order_id,
    l.line_id,
    l.sku,
    l.title,
    l.product_id,
    l.product_type,
    l.quantity,
    o.fx_rate,
    CAST(l.unit_price * o.fx_rate AS DECIMAL(18, 4)) AS unit_price,
    CAST(l.unit_price * l.quantity * o.fx_rate AS DECIMAL(18, 4)) AS gross_sales,
    CAST(l.discount * o.fx_rate AS DECIMAL(18, 4)) AS discounts,
    coalesce(m.margin, s.default_margin) AS margin,
    CAST(l.unit_price * l.quantity * (1 - coalesce(m.margin, s.default_margin)) * o.fx_rate AS DECIMAL(18, 4))
        AS cogs
FROM int_order_lines AS l
JOIN int_orders_checked AS o ON o.order_id = l.order_id AND o.reject_reason IS NULL
CROSS JOIN cfg_settings AS s
LEFT JOIN cfg_category_margins AS m ON m.category = l.product_type
