"""The one record type every source emits into the raw layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record exactly as its API returned it.

    ``updated_at`` is the source's own version stamp (Shopify ``updatedAt``); records without one
    (ads and analytics rows) are versioned by ingestion order: a later ingestion supersedes.
    """

    source: str
    """Source name: ``shopify``, ``meta``, ``google_ads``, ``ga4``."""
    entity: str
    """Entity within the source: ``order``, ``customer``, ``product``, ``ads_insights``, ``campaign_daily``,
    ``traffic_daily``."""
    external_id: str | None
    """The record's id in the source (None when the payload has none: it is quarantined by staging)."""
    payload: dict[str, Any]
    """The API's JSON object, unchanged."""
    updated_at: datetime | None = None
    """Source version timestamp (UTC), when the API gives one."""


# Entities the staging layer reads, by (source, entity).
ENTITIES = {
    ("shopify", "order"): "Shopify GraphQL Admin API Order node",
    ("shopify", "customer"): "Shopify GraphQL Admin API Customer node",
    ("shopify", "product"): "Shopify GraphQL Admin API Product node, variants with inventoryItem.unitCost",
    ("meta", "ads_insights"): "Meta Marketing API insights row, level=ad, time_increment=1",
    ("google_ads", "campaign_daily"): "Google Ads API searchStream result row (campaign x segments.date)",
    ("ga4", "traffic_daily"): "GA4 Data API runReport row, dimensions and metrics as in sources/ga4_report.py",
}
