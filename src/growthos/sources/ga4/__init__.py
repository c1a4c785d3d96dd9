"""The GA4 Data API connector (daily traffic by runReport), registered as ``ga4``."""

from growthos.sources.connectors import REGISTRY, register
from growthos.sources.ga4.api import GA4Api, property_id
from growthos.sources.ga4.connector import GA4Connector
from growthos.sources.ga4.sync import report_body, sync_ga4

if "ga4" not in REGISTRY:
    register(GA4Connector())

__all__ = ["GA4Api", "GA4Connector", "property_id", "report_body", "sync_ga4"]
