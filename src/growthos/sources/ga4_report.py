"""The GA4 runReport request GrowthOS makes; staging reads row values by these positions."""

DIMENSIONS = ["date", "sessionSource", "sessionMedium", "sessionCampaignName"]
METRICS = [
    "sessions",
    "totalUsers",
    "engagedSessions",
    "addToCarts",
    "checkouts",
    "ecommercePurchases",
    "purchaseRevenue",
]
