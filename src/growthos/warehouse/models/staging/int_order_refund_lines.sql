-- One row per refund line item of the current order versions, amounts in the shop currency.
WITH refunds AS (
    SELECT order_id, unnest(refunds) AS r
    FROM int_orders_current
    WHERE order_id IS NOT NULL
),
lines AS (
    SELECT
        order_id,
        r.id AS refund_id,
        try_cast(r.createdAt AS TIMESTAMPTZ) AS refunded_at,
        unnest(r.refundLineItems.nodes) AS rl
    FROM refunds
)
SELECT
    order_id,
    refund_id,
    refunded_at,
    rl.lineItem.id AS line_id,
    try_cast(rl.quantity AS INTEGER) AS quantity,
    try_cast(rl.subtotalSet.shopMoney.amount AS DECIMAL(18, 2)) AS amount
FROM lines
