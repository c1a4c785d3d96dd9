-- One row per valid ad-platform row (Meta: ad x day; Google Ads: campaign x day), spend and
-- platform-reported purchase value converted to the reporting currency.
SELECT
    platform,
    platform AS channel,
    account_id,
    campaign_id,
    campaign_name,
    platform || ':' || lower(trim(coalesce(campaign_name, campaign_id))) AS campaign_key,
    ad_id,
    spend_date,
    currency AS source_currency,
    fx_rate,
    spend_source,
    CAST(spend_source * fx_rate AS DECIMAL(18, 6)) AS spend,
    impressions,
    clicks,
    platform_purchases,
    CAST(platform_value_source * fx_rate AS DECIMAL(18, 4)) AS platform_purchase_value
FROM int_spend_checked
WHERE reject_reason IS NULL
