-- Raw records left out of the build because they are malformed, by reason.
WITH reasons AS (
    SELECT source || '.' || entity || ' ' || reason AS what, count(*) AS n
    FROM stg_quarantine
    GROUP BY 1
)
SELECT
    CAST(coalesce(sum(n), 0) AS DOUBLE) AS observed,
    coalesce(string_agg(what || ': ' || n, '; ' ORDER BY what), '') AS detail
FROM reasons
