-- One row per valid GA4 row (day x session source / medium / campaign) with its channel.
SELECT
    t.traffic_date,
    t.session_source,
    t.session_medium,
    t.session_campaign,
    coalesce(m.channel, 'direct') AS channel,
    CASE
        WHEN t.session_campaign IN ('(not set)', '(organic)', '(direct)', '(referral)', '(none)', '') THEN NULL
        ELSE coalesce(m.channel, 'direct') || ':' || lower(trim(t.session_campaign))
    END AS campaign_key,
    t.sessions,
    t.users,
    t.engaged_sessions,
    t.add_to_carts,
    t.checkouts,
    t.purchases,
    coalesce(t.purchase_revenue, 0) AS purchase_revenue
FROM int_traffic_checked AS t
LEFT JOIN int_channel_map AS m
    ON m.source IS NOT DISTINCT FROM t.session_source
    AND m.medium IS NOT DISTINCT FROM t.session_medium
    AND m.referrer IS NULL
    AND m.click_id IS NULL
    AND m.has_journey
WHERE t.reject_reason IS NULL
