-- Every reporting day from the first day with data to the workspace's last full day.
WITH bounds AS (
    SELECT
        least(
            (SELECT min(order_date) FROM fact_orders),
            (SELECT min(date) FROM fact_spend),
            (SELECT min(date) FROM fact_traffic)
        ) AS first_day,
        greatest(
            (SELECT max(order_date) FROM fact_orders),
            (SELECT max(date) FROM fact_spend),
            (SELECT max(date) FROM fact_traffic),
            (SELECT as_of_date - 1 FROM cfg_settings)
        ) AS last_day
),
days AS (
    SELECT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS date
    FROM bounds
    WHERE first_day IS NOT NULL
)
SELECT
    date,
    CAST(strftime(date, '%Y%m%d') AS INTEGER) AS date_key,
    year(date) AS year,
    quarter(date) AS quarter,
    month(date) AS month,
    CAST(date_trunc('month', date) AS DATE) AS month_start,
    CAST(date_trunc('week', date) AS DATE) AS week_start,
    isodow(date) AS iso_day_of_week,
    strftime(date, '%A') AS day_name,
    isodow(date) >= 6 AS is_weekend
FROM days
