"""The marketing channel of a landing: the warehouse's ordered channel rules (``Settings.channel_rules``, the
same rules ``int_channel_map`` applies to orders) on the landing's UTM source and medium, click ids and the
referrer's host, so that channel names agree across the product; then two rules the product events add:

- a landing tagged as paid (utm_medium cpc, ppc, paid...) that no rule claims is ``paid``;
- a session that would be ``direct`` but came through an invite link (``/invite/...``) or tracked
  ``Invite Accepted`` is ``referral``.

A referrer on the landing page's own host is no referrer (it is the previous page of the same site).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from growthos.config import ChannelRule
from growthos.warehouse.config_tables import CHANNEL_LABELS

DIRECT = "direct"
REFERRAL = "referral"
PAID = "paid"
UNKNOWN = "unknown"
"""Channel of a conversion with no touch at all inside the lookback window."""
PAID_MEDIUM = re.compile(r"^(cpc|ppc|cpm|paid|paid_search|paid_social|paidsocial|display)$", re.IGNORECASE)
CLICK_IDS = ("gclid", "fbclid", "msclkid", "ttclid")
EXTRA_LABELS = {PAID: "Paid (other)"}


@dataclass(frozen=True)
class Landing:
    """What a session's first event tells about where the person came from."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    referrer_host: str | None = None
    click_ids: frozenset[str] = frozenset()
    invited: bool = False


def channel_label(channel: str) -> str:
    """The channel's display label (the warehouse's labels; others capitalised)."""
    if channel in CHANNEL_LABELS:
        return CHANNEL_LABELS[channel][0]
    return EXTRA_LABELS.get(channel, channel.replace("_", " ").capitalize())


def landing_from(url: str | None, search: str | None, referrer: str | None, campaign_source: str | None,
                 campaign_medium: str | None, campaign_name: str | None, invited: bool) -> Landing:
    """A Landing from ``context.page`` (url, search, referrer) and ``context.campaign`` (Segment's utm fields,
    which win over the query string's utm_* parameters)."""
    query = (search or "").lstrip("?") or urlsplit(url or "").query
    params = {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=False).items() if v}
    page_host = _host(url)
    ref_host = _host(referrer)
    if ref_host is not None and ref_host == page_host:
        ref_host = None
    return Landing(
        source=_clean(campaign_source) or _clean(params.get("utm_source")),
        medium=_clean(campaign_medium) or _clean(params.get("utm_medium")),
        campaign=_clean(campaign_name) or _clean(params.get("utm_campaign")),
        referrer_host=ref_host,
        click_ids=frozenset(k for k in CLICK_IDS if k in params),
        invited=invited,
    )


def classify(landing: Landing, rules: Sequence[ChannelRule]) -> str:
    """The landing's channel: the first matching rule, else ``paid`` / ``referral`` (see above), else direct."""
    matched = next((rule.channel for rule in rules if _matches(rule, landing)), None)
    if matched is None and landing.medium is not None and PAID_MEDIUM.match(landing.medium):
        return PAID
    channel = matched or DIRECT
    if channel == DIRECT and landing.invited:
        return REFERRAL
    return channel


def _matches(rule: ChannelRule, landing: Landing) -> bool:
    if rule.click_id is not None and rule.click_id not in landing.click_ids:
        return False
    for pattern, value in ((rule.source, landing.source), (rule.medium, landing.medium),
                           (rule.referrer, landing.referrer_host)):
        if pattern is not None and (value is None or not _regex(pattern).search(value)):
            return False
    return True


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None
