-- Every distinct touch (source, medium, referrer host, click id) seen in orders and GA4 traffic,
-- classified once by the ordered rules in cfg_channel_rules: the matching rule of lowest priority
-- wins; a touch that matches no rule is 'direct'; an order with no journey at all is 'unknown'.
WITH keys AS (
    SELECT DISTINCT
        utm_source AS source, utm_medium AS medium, referrer_host AS referrer, click_id, has_journey
    FROM int_orders_checked
    WHERE reject_reason IS NULL
    UNION
    SELECT DISTINCT session_source, session_medium, NULL, NULL, true
    FROM int_traffic_checked
    WHERE reject_reason IS NULL
),
matches AS (
    SELECT k.source, k.medium, k.referrer, k.click_id, k.has_journey, r.priority, r.channel
    FROM keys AS k
    LEFT JOIN cfg_channel_rules AS r
        ON (r.click_id IS NULL OR r.click_id = k.click_id)
        AND (r.source_pattern IS NULL OR regexp_matches(k.source, r.source_pattern, 'i'))
        AND (r.medium_pattern IS NULL OR regexp_matches(k.medium, r.medium_pattern, 'i'))
        AND (r.referrer_pattern IS NULL OR regexp_matches(k.referrer, r.referrer_pattern, 'i'))
)
SELECT
    source,
    medium,
    referrer,
    click_id,
    has_journey,
    CASE WHEN NOT has_journey THEN 'unknown' ELSE coalesce(arg_min(channel, priority), 'direct') END AS channel
FROM matches
GROUP BY source, medium, referrer, click_id, has_journey
