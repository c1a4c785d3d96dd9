-- Campaigns known from ad spend and from order UTMs; campaign_key = channel:lower(name).
WITH from_spend AS (
    SELECT
        campaign_key,
        channel,
        arg_max(campaign_id, date) AS campaign_id,
        arg_max(campaign_name, date) AS campaign_name,
        min(date) AS first_date,
        max(date) AS last_date,
        true AS has_spend
    FROM fact_spend
    GROUP BY campaign_key, channel
),
from_orders AS (
    SELECT campaign_key, any_value(channel) AS channel, min(order_date) AS first_date, max(order_date) AS last_date
    FROM fact_orders
    WHERE campaign_key IS NOT NULL
    GROUP BY campaign_key
)
SELECT campaign_key, channel, campaign_id, campaign_name, first_date, last_date, has_spend
FROM from_spend
UNION ALL
SELECT
    o.campaign_key,
    o.channel,
    NULL,
    substr(o.campaign_key, length(o.channel) + 2),
    o.first_date,
    o.last_date,
    false
FROM from_orders AS o
WHERE o.campaign_key NOT IN (SELECT campaign_key FROM from_spend)
