"""Where visitors come from: every touch (channel x source x campaign) with its landing page, its
GA4 session dimensions and its conversion rate, plus the paid campaigns behind the paid touches."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

SITE = "https://forkful.example"


@dataclass(frozen=True, slots=True)
class MetaAd:
    ad_id: str
    ad_name: str
    adset_id: str
    adset_name: str
    weight: float


@dataclass(frozen=True, slots=True)
class Campaign:
    """A paid campaign on Meta or Google Ads, live on days [start, stop) as fractions of the period."""

    platform: str
    campaign_id: str
    name: str
    new_share: float
    """Share of the day's new customers this campaign acquires while live."""
    cpa: float
    """Spend per acquired new customer, USD."""
    start: float = 0.0
    stop: float = 1.0
    channel_type: str = "SEARCH"
    ctr: float = 0.012
    ads: tuple[MetaAd, ...] = ()

    def window(self, days: int) -> tuple[int, int]:
        """Live day indices [first, stop) of a period of ``days`` days."""
        return round(self.start * (days - 1)), days if self.stop >= 1.0 else round(self.stop * (days - 1))

    def live(self, index: int, days: int) -> bool:
        first, stop = self.window(days)
        return first <= index < stop


@dataclass(frozen=True, slots=True)
class Touch:
    """One way into the store; orders carry it in their customer journey, GA4 reports it as a row."""

    key: str
    channel: str
    ga4: tuple[str, str, str]
    """GA4 sessionSource, sessionMedium, sessionCampaignName."""
    conversion_rate: float
    """Orders per GA4 session."""
    utm: tuple[str, str, str] | None = None
    """utm_source, utm_medium, utm_campaign carried by the landing page."""
    click_id: str | None = None
    referrer: str | None = None
    visit_source: str = "direct"
    path: str = "/"
    campaign: Campaign | None = None

    def landing_page(self, click_value: str | None) -> str:
        url = SITE + self.path
        params = []
        if self.utm is not None:
            source, medium, campaign = self.utm
            params += [f"utm_source={source}", f"utm_medium={medium}", f"utm_campaign={quote_plus(campaign)}"]
        if self.click_id is not None and click_value is not None:
            params.append(f"{self.click_id}={click_value}")
        return url + ("?" + "&".join(params) if params else "")


def _meta_ads(campaign_no: int, short: str, adsets: tuple[str, str], creatives: tuple[str, str]) -> tuple[MetaAd, ...]:
    ads = []
    for s, (adset_name, adset_weight) in enumerate(zip(adsets, (0.6, 0.4), strict=True)):
        adset_id = f"1202100000{campaign_no:02d}{s + 1:03d}"
        for a, (creative, ad_weight) in enumerate(zip(creatives, (0.55, 0.45), strict=True)):
            ads.append(MetaAd(f"1202100{campaign_no:02d}{s + 1:02d}{a + 1:04d}", f"{short} - {creative}",
                              adset_id, f"{short} - {adset_name}", adset_weight * ad_weight))
    return tuple(ads)


META_CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("meta", "120210000000001", "Prospecting - Broad", 0.14, 121.0, ctr=0.011,
             ads=_meta_ads(1, "Broad", ("US 25-54", "US+CA Home Cooks"), ("Video Chef POV", "Carousel Menu"))),
    Campaign("meta", "120210000000002", "Retargeting - Site Visitors", 0.07, 72.0, ctr=0.019,
             ads=_meta_ads(2, "RT", ("Visitors 30d", "Add to Cart 14d"), ("Offer WELCOME30", "Reviews UGC"))),
    Campaign("meta", "120210000000003", "Prospecting - Lookalikes", 0.07, 113.0, start=0.17, ctr=0.012,
             ads=_meta_ads(3, "LAL", ("Purchasers 1pct", "Subscribers 3pct"), ("Static Family", "Reel 15s"))),
    Campaign("meta", "120210000000004", "Holiday Gifting - Q4", 0.05, 132.0, start=0.54, stop=0.78, ctr=0.013,
             ads=_meta_ads(4, "Gift", ("Gift Givers", "Holiday Hosts"), ("Gift Card Video", "Festive Box"))),
)

GOOGLE_CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("google_ads", "2001", "Brand - Forkful", 0.05, 29.0, ctr=0.14),
    Campaign("google_ads", "2002", "Search - Generic", 0.08, 128.0, ctr=0.045),
    Campaign("google_ads", "2003", "Shopping - Performance Max", 0.07, 102.0, start=0.3,
             channel_type="PERFORMANCE_MAX", ctr=0.012),
    Campaign("google_ads", "2004", "Search - Competitors", 0.03, 161.0, start=0.1, stop=0.7, ctr=0.03),
)

EMAIL_CAMPAIGNS = ("Welcome Series", "Weekly Menu Drop", "Recipe of the Week", "Abandoned Checkout",
                   "Winback - 30 Day")


def _paid(campaign: Campaign) -> Touch:
    if campaign.platform == "meta":
        return Touch(f"meta:{campaign.name}", "meta", ("facebook", "paid_social", campaign.name), 0.012,
                     utm=("facebook", "paid_social", campaign.name), click_id="fbclid",
                     referrer="https://l.facebook.com/", visit_source="facebook", campaign=campaign)
    rates = {"Brand - Forkful": 0.07, "Search - Generic": 0.026, "Shopping - Performance Max": 0.021}
    return Touch(f"google_ads:{campaign.name}", "google_ads", ("google", "cpc", campaign.name),
                 rates.get(campaign.name, 0.016), utm=("google", "cpc", campaign.name), click_id="gclid",
                 referrer="https://www.google.com/", visit_source="google", campaign=campaign)


def _touches() -> tuple[Touch, ...]:
    touches = [_paid(c) for c in META_CAMPAIGNS + GOOGLE_CAMPAIGNS]
    for engine, host in (("google", "www.google.com"), ("bing", "www.bing.com"), ("duckduckgo", "duckduckgo.com")):
        touches.append(Touch(f"organic_search:{engine}", "organic_search", (engine, "organic", "(organic)"), 0.024,
                             referrer=f"https://{host}/", visit_source=engine, path="/recipes"))
    touches.append(Touch("direct", "direct", ("(direct)", "(none)", "(direct)"), 0.04))
    for name in EMAIL_CAMPAIGNS:
        touches.append(Touch(f"email:{name}", "email", ("klaviyo", "email", name), 0.055,
                             utm=("klaviyo", "email", name), visit_source="klaviyo", path="/menu"))
    for site, path in (("seriouseats-blog.example", "/best-meal-kits-2025"),
                       ("thekitchn-review.example", "/forkful-review"),
                       ("mealkitguide.example", "/compare")):
        touches.append(Touch(f"referral:{site}", "referral", (site, "referral", "(referral)"), 0.03,
                             referrer=f"https://www.{site}{path}", visit_source=site))
    for network in ("instagram", "tiktok", "pinterest"):
        touches.append(Touch(f"organic_social:{network}", "organic_social", (f"{network}.com", "referral",
                             "(referral)"), 0.011, referrer=f"https://www.{network}.com/", visit_source=network,
                             path="/recipes"))
    # Orders whose customer journey Shopify could not record; GA4 still sees them, mostly as direct.
    touches.append(Touch("unknown", "unknown", ("(direct)", "(none)", "(direct)"), 0.04))
    return tuple(touches)


TOUCHES: tuple[Touch, ...] = _touches()
TOUCH_BY_KEY: dict[str, Touch] = {t.key: t for t in TOUCHES}

NEW_CUSTOMER_MIX: dict[str, float] = {
    "organic_search:google": 0.135, "organic_search:bing": 0.012, "organic_search:duckduckgo": 0.005,
    "direct": 0.10,
    "email:Welcome Series": 0.05,
    "referral:seriouseats-blog.example": 0.03, "referral:thekitchn-review.example": 0.02,
    "referral:mealkitguide.example": 0.012,
    "organic_social:instagram": 0.05, "organic_social:tiktok": 0.028, "organic_social:pinterest": 0.014,
    "unknown": 0.03,
}
"""Unpaid shares of the day's new customers (paid shares come from the live campaigns)."""

RETURNING_MIX: dict[str, float] = {
    "email:Weekly Menu Drop": 0.24, "email:Recipe of the Week": 0.09, "email:Abandoned Checkout": 0.06,
    "email:Winback - 30 Day": 0.05,
    "direct": 0.37,
    "organic_search:google": 0.06,
    "google_ads:Brand - Forkful": 0.04,
    "meta:Retargeting - Site Visitors": 0.03,
    "organic_social:instagram": 0.02,
    "referral:seriouseats-blog.example": 0.01,
    "unknown": 0.03,
}
"""Touches of returning customers' orders (Meta retargeting falls back to direct when not live)."""
