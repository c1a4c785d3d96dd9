-- Orders whose line items disagree with their own totals: list price x quantity - discounts must
-- equal the subtotal, and the line discounts must add up to the order's total discounts.
SELECT
    CAST(count(*) AS DOUBLE) AS observed,
    coalesce(string_agg(order_id, ', ' ORDER BY order_id) FILTER (WHERE rn <= 5), '') AS detail
FROM (
    SELECT order_id, row_number() OVER (ORDER BY order_id) AS rn
    FROM int_orders_checked
    WHERE reject_reason IS NULL
      AND (abs(gross_sales - total_discounts - subtotal) > 0.01 OR abs(line_discounts - total_discounts) > 0.01)
)
