"""The Meta Marketing API ads-insights connector (ad x day rows), registered as ``meta``."""

from growthos.sources.connectors import REGISTRY, register
from growthos.sources.meta.connector import MetaConnector
from growthos.sources.meta.graph import MetaGraph, TooMuchData, ad_account_id
from growthos.sources.meta.insights import Polling
from growthos.sources.meta.sync import sync_meta

if "meta" not in REGISTRY:
    register(MetaConnector())

__all__ = ["MetaConnector", "MetaGraph", "Polling", "TooMuchData", "ad_account_id", "sync_meta"]
