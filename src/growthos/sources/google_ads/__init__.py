"""The Google Ads API connector (campaign-day metrics by GAQL searchStream), registered as ``google_ads``."""

from growthos.sources.connectors import REGISTRY, register
from growthos.sources.google_ads.api import GoogleAdsApi, customer_id
from growthos.sources.google_ads.connector import GoogleAdsConnector
from growthos.sources.google_ads.sync import campaign_daily_query, sync_google_ads

if "google_ads" not in REGISTRY:
    register(GoogleAdsConnector())

__all__ = ["GoogleAdsApi", "GoogleAdsConnector", "campaign_daily_query", "customer_id", "sync_google_ads"]
