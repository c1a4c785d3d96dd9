-- Ad spend per day x campaign, reporting currency, with platform-reported purchases and value.
SELECT
    spend_date AS date,
    channel,
    platform,
    campaign_key,
    campaign_id,
    any_value(campaign_name) AS campaign_name,
    sum(spend) AS spend,
    CAST(sum(impressions) AS BIGINT) AS impressions,
    CAST(sum(clicks) AS BIGINT) AS clicks,
    sum(platform_purchases) AS platform_purchases,
    sum(platform_purchase_value) AS platform_purchase_value
FROM stg_spend
GROUP BY spend_date, channel, platform, campaign_key, campaign_id
