"""What runs inside a customer's app and reports to GrowthOS: the batching sender, the AI-call wrapper
(cache, rate limits, cost), the database-query instrumentation; the browser snippet for Core Web Vitals
is served by the server at /sdk/vitals.js."""
