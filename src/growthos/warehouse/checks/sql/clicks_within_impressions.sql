-- Ad rows with more clicks than impressions (a platform export or mapping error).
SELECT
    CAST(count(*) AS DOUBLE) AS observed,
    coalesce(string_agg(platform || ' ' || campaign_id || ' ' || CAST(spend_date AS VARCHAR), ', ')
        FILTER (WHERE rn <= 5), '') AS detail
FROM (
    SELECT platform, campaign_id, spend_date, row_number() OVER (ORDER BY platform, campaign_id, spend_date) AS rn
    FROM stg_spend
    WHERE clicks > impressions
)
