-- Days with no rows, between the first and last day of each active spend channel and of GA4.
WITH spans AS (
    SELECT channel AS what, min(date) AS first_day, max(date) AS last_day, count(DISTINCT date) AS days_present
    FROM fact_spend
    GROUP BY channel
    UNION ALL
    SELECT 'ga4 traffic', min(date), max(date), count(DISTINCT date) FROM fact_traffic
),
gaps AS (
    SELECT what, (last_day - first_day + 1) - days_present AS n FROM spans WHERE first_day IS NOT NULL
)
SELECT
    CAST(coalesce(sum(n), 0) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n || ' days', '; ' ORDER BY what) FILTER (WHERE n > 0), '') AS detail
FROM gaps
