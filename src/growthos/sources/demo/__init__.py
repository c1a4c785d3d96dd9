"""A deterministic demo workspace: Forkful, a meal-kit brand with a companion recipe app.

``generate()`` streams raw records in the real APIs' shapes (Shopify products, orders and customers, Meta ads
insights, Google Ads campaign days, GA4 traffic rows); ``ANOMALIES`` is the ground truth of the
distortions injected into them.
"""

from growthos.sources.demo.anomalies import ANOMALIES, Anomaly, anomalies_as_dicts, anomalies_for
from growthos.sources.demo.generator import generate
from growthos.sources.demo.period import DEMO_DAYS, DEMO_END_DATE, DEMO_SEED

__all__ = [
    "ANOMALIES",
    "DEMO_DAYS",
    "DEMO_END_DATE",
    "DEMO_SEED",
    "Anomaly",
    "anomalies_as_dicts",
    "anomalies_for",
    "generate",
]
