-- Web traffic per day x channel x source / medium / campaign, from GA4.
SELECT
    traffic_date AS date,
    channel,
    session_source AS source,
    session_medium AS medium,
    session_campaign AS campaign,
    campaign_key,
    sessions,
    users,
    engaged_sessions,
    add_to_carts,
    checkouts,
    purchases,
    purchase_revenue
FROM stg_traffic
