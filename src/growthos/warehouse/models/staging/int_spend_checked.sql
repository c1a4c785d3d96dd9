-- Current Meta ads-insights rows and Google Ads campaign-day rows in one typed shape, with the
-- reason a row is rejected, if any. Platform dates are taken to be in the reporting time zone.
WITH meta AS (
    SELECT
        coalesce(external_id, payload_hash) AS row_key,
        external_id,
        payload_hash,
        json_transform(payload, '{
            "account_id": "VARCHAR", "account_currency": "VARCHAR", "campaign_id": "VARCHAR",
            "campaign_name": "VARCHAR", "adset_id": "VARCHAR", "ad_id": "VARCHAR", "date_start": "VARCHAR",
            "spend": "VARCHAR", "impressions": "VARCHAR", "clicks": "VARCHAR",
            "actions": [{"action_type": "VARCHAR", "value": "VARCHAR"}],
            "action_values": [{"action_type": "VARCHAR", "value": "VARCHAR"}]
        }') AS m
    FROM raw_events
    WHERE source = 'meta' AND entity = 'ads_insights'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(external_id, payload_hash)
        ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC
    ) = 1
),
meta_actions AS (
    SELECT row_key, 'count' AS kind, unnest(m.actions) AS a FROM meta
    UNION ALL
    SELECT row_key, 'value' AS kind, unnest(m.action_values) AS a FROM meta
),
-- 'purchase' already sums pixel and app purchases; fall back to the pixel's own action type.
meta_purchases AS (
    SELECT
        row_key,
        coalesce(
            max(try_cast(a.value AS DOUBLE)) FILTER (WHERE kind = 'count' AND a.action_type = 'purchase'),
            max(try_cast(a.value AS DOUBLE)) FILTER (
                WHERE kind = 'count' AND a.action_type = 'offsite_conversion.fb_pixel_purchase')
        ) AS purchases,
        coalesce(
            max(try_cast(a.value AS DECIMAL(18, 2))) FILTER (WHERE kind = 'value' AND a.action_type = 'purchase'),
            max(try_cast(a.value AS DECIMAL(18, 2))) FILTER (
                WHERE kind = 'value' AND a.action_type = 'offsite_conversion.fb_pixel_purchase')
        ) AS purchase_value
    FROM meta_actions
    GROUP BY row_key
),
google AS (
    SELECT
        coalesce(external_id, payload_hash) AS row_key,
        external_id,
        payload_hash,
        json_transform(payload, '{
            "customer": {"id": "VARCHAR", "currencyCode": "VARCHAR"},
            "campaign": {"id": "VARCHAR", "name": "VARCHAR"},
            "segments": {"date": "VARCHAR"},
            "metrics": {"impressions": "VARCHAR", "clicks": "VARCHAR", "costMicros": "VARCHAR",
                        "conversions": "VARCHAR", "conversionsValue": "VARCHAR"}
        }') AS g
    FROM raw_events
    WHERE source = 'google_ads' AND entity = 'campaign_daily'
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(external_id, payload_hash)
        ORDER BY source_updated_at DESC NULLS LAST, ingest_seq DESC
    ) = 1
),
unified AS (
    SELECT
        'meta' AS platform,
        'meta' AS source,
        'ads_insights' AS entity,
        m.external_id,
        m.payload_hash,
        m.m.account_id AS account_id,
        m.m.campaign_id AS campaign_id,
        m.m.campaign_name AS campaign_name,
        m.m.ad_id AS ad_id,
        try_cast(m.m.date_start AS DATE) AS spend_date,
        upper(coalesce(m.m.account_currency, '')) AS currency,
        try_cast(m.m.spend AS DECIMAL(18, 6)) AS spend_source,
        try_cast(coalesce(m.m.impressions, '0') AS BIGINT) AS impressions,
        try_cast(coalesce(m.m.clicks, '0') AS BIGINT) AS clicks,
        coalesce(p.purchases, 0) AS platform_purchases,
        coalesce(p.purchase_value, 0) AS platform_value_source
    FROM meta AS m
    LEFT JOIN meta_purchases AS p ON p.row_key = m.row_key
    UNION ALL
    SELECT
        'google_ads',
        'google_ads',
        'campaign_daily',
        external_id,
        payload_hash,
        g.customer.id,
        g.campaign.id,
        g.campaign.name,
        NULL,
        try_cast(g.segments.date AS DATE),
        upper(coalesce(g.customer.currencyCode, '')),
        try_cast(g.metrics.costMicros AS DECIMAL(38, 0)) * 0.000001,
        try_cast(coalesce(g.metrics.impressions, '0') AS BIGINT),
        try_cast(coalesce(g.metrics.clicks, '0') AS BIGINT),
        coalesce(try_cast(g.metrics.conversions AS DOUBLE), 0),
        coalesce(try_cast(g.metrics.conversionsValue AS DECIMAL(18, 2)), 0)
    FROM google
)
SELECT
    u.*,
    fx.rate AS fx_rate,
    CASE
        WHEN u.external_id IS NULL OR u.campaign_id IS NULL THEN 'missing id'
        WHEN u.spend_date IS NULL THEN 'missing or invalid date'
        WHEN fx.currency IS NULL THEN 'unknown currency ' || coalesce(nullif(u.currency, ''), '(none)')
        WHEN u.spend_source IS NULL THEN 'non-numeric spend'
        WHEN u.spend_source < 0 THEN 'negative spend'
        WHEN u.impressions IS NULL OR u.clicks IS NULL THEN 'non-numeric impressions or clicks'
    END AS reject_reason
FROM unified AS u
LEFT JOIN cfg_fx_rates AS fx ON fx.currency = u.currency
