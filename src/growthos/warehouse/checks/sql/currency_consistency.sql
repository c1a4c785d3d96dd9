-- Orders whose line items are priced in another currency than the order, and ad accounts that
-- report in more than one currency.
WITH mixed_orders AS (
    SELECT count(DISTINCT l.order_id) AS n
    FROM int_order_lines AS l
    JOIN int_orders_checked AS o ON o.order_id = l.order_id AND o.reject_reason IS NULL
    WHERE l.currency IS DISTINCT FROM o.currency
),
mixed_accounts AS (
    SELECT count(*) AS n FROM (
        SELECT platform, account_id FROM stg_spend GROUP BY platform, account_id
        HAVING count(DISTINCT source_currency) > 1
    )
)
SELECT
    CAST(o.n + a.n AS DOUBLE) AS observed,
    'orders with mixed currencies: ' || o.n || '; ad accounts with several currencies: ' || a.n AS detail
FROM mixed_orders AS o, mixed_accounts AS a
