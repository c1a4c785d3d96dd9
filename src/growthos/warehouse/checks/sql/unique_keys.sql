-- Keys that appear more than once in the marts.
WITH dups AS (
    SELECT 'fact_orders.order_id' AS what, count(*) - count(DISTINCT order_id) AS n FROM fact_orders
    UNION ALL
    SELECT 'dim_customer.customer_id', count(*) - count(DISTINCT customer_id) FROM dim_customer
    UNION ALL
    SELECT 'stg_variant_costs.variant_id', count(*) - count(DISTINCT variant_id) FROM stg_variant_costs
    UNION ALL
    SELECT 'dim_date.date', count(*) - count(DISTINCT date) FROM dim_date
    UNION ALL
    SELECT 'dim_channel.channel', count(*) - count(DISTINCT channel) FROM dim_channel
    UNION ALL
    SELECT 'dim_campaign.campaign_key', count(*) - count(DISTINCT campaign_key) FROM dim_campaign
    UNION ALL
    SELECT 'fact_spend (date, campaign_key, campaign_id)',
        count(*) - (SELECT count(*) FROM (SELECT DISTINCT date, campaign_key, campaign_id FROM fact_spend))
    FROM fact_spend
    UNION ALL
    SELECT 'fact_traffic (date, source, medium, campaign)',
        count(*) - (SELECT count(*) FROM (SELECT DISTINCT date, source, medium, campaign FROM fact_traffic))
    FROM fact_traffic
)
SELECT
    CAST(sum(n) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n, '; ' ORDER BY what) FILTER (WHERE n > 0), '') AS detail
FROM dups
