-- Share of the last 30 days' orders whose channel could not be determined (no customer journey).
WITH recent AS (
    SELECT f.channel
    FROM fact_orders AS f CROSS JOIN cfg_settings AS s
    WHERE f.order_date BETWEEN s.as_of_date - 30 AND s.as_of_date - 1
)
SELECT
    coalesce(CAST(count(*) FILTER (WHERE channel = 'unknown') AS DOUBLE) / nullif(count(*), 0), 0) AS observed,
    count(*) FILTER (WHERE channel = 'unknown') || ' of ' || count(*) || ' orders in the last 30 days' AS detail
FROM recent
