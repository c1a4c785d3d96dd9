-- Raw records the build left out, with the reason; counted by a data-quality check.
SELECT 'shopify' AS source, 'order' AS entity, external_id, payload_hash, reject_reason AS reason
FROM int_orders_checked WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'shopify', 'customer', external_id, payload_hash, reject_reason
FROM int_customers_checked WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'shopify', 'product', external_id, payload_hash, reject_reason
FROM int_products_checked WHERE reject_reason IS NOT NULL
UNION ALL
SELECT source, entity, external_id, payload_hash, reject_reason
FROM int_spend_checked WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'ga4', 'traffic_daily', external_id, payload_hash, reject_reason
FROM int_traffic_checked WHERE reject_reason IS NOT NULL
