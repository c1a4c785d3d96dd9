"""What to do about a KPI that moved: a per-metric catalogue, by trend (a dict, looked up, never if-chains)."""

from __future__ import annotations

RECOMMENDATIONS: dict[str, dict[str, str]] = {
    "net_revenue": {
        "declining": "Break the drop down by channel (growthos explain net_revenue) and check orders vs AOV: "
                     "fewer orders point at traffic or conversion, a lower AOV at mix or discounting.",
        "improving": "Find the channel or campaign that drove the gain and protect its budget and inventory.",
    },
    "orders": {
        "declining": "Check sessions and conversion rate; if traffic held, look at checkout errors and stock-outs.",
        "improving": "Make sure fulfilment keeps up and that the extra orders are not bought by deeper discounts.",
    },
    "aov": {
        "declining": "Review discount depth and bundle/upsell placement; compare the product mix with last period.",
        "improving": "Keep the bundles or thresholds that lifted basket size; watch conversion for side effects.",
    },
    "new_customers": {
        "declining": "Check prospecting spend and creative fatigue on paid social and search.",
        "improving": "Follow these customers' second-order rate: a new cohort is worth its retention.",
    },
    "mer": {
        "declining": "Cut or rework the campaigns whose spend grew faster than the revenue they bring.",
        "improving": "Test raising budget on the most efficient channels in small steps, watching nCAC.",
    },
    "platform_roas": {
        "declining": "Compare platform-reported value with MER: refresh creatives and tighten targeting.",
        "improving": "Check it against MER before scaling: platforms over-credit themselves.",
    },
    "ncac": {
        "declining": "Acquisition got more expensive: pause the weakest ad sets and refresh creative.",
        "improving": "Acquisition got cheaper: there is room to scale the channels that drove it.",
    },
    "cpm": {"declining": "Audience costs rose: broaden targeting or shift budget to cheaper placements.",
            "improving": "Cheaper reach: test more creative while prices are low."},
    "cpc": {"declining": "Clicks cost more: check ad relevance and bids.",
            "improving": "Cheaper clicks: make sure they still convert."},
    "ctr": {"declining": "Creative fatigue: rotate in new ads.",
            "improving": "Winning creative: reuse its message on the landing page."},
    "conversion_rate": {
        "declining": "Walk through the checkout on mobile, check page speed and stock of the best sellers.",
        "improving": "Roll the change that helped conversion out to every landing page.",
    },
    "sessions": {"declining": "Traffic fell: check which channel lost sessions and whether tracking broke.",
                 "improving": "More traffic: check it converts as well as before."},
    "refunds": {"declining": "Refunds rose: read the refund reasons and check the products behind them.",
                "improving": "Fewer refunds: keep the product or quality changes that caused it."},
    "refund_rate": {"declining": "A larger share is refunded: look for a faulty product or a misleading listing.",
                    "improving": "Refund share is down: note what changed in product or fulfilment."},
    "returning_customer_rate": {
        "declining": "Fewer returning buyers: revisit post-purchase email flows and loyalty offers.",
        "improving": "Retention is working: keep investing in lifecycle messaging.",
    },
    "repeat_purchase_rate": {"declining": "Fewer repeat orders within the period: test replenishment reminders.",
                             "improving": "More repeat orders: consider a subscription offer."},
    "contribution_margin": {
        "declining": "Margin after marketing fell: check spend growth, discounting and shipping costs.",
        "improving": "Margin after marketing grew: the mix of spend and price is working.",
    },
    "gross_margin": {"declining": "Check COGS changes and discounting on high-margin products.",
                     "improving": "Gross margin grew: keep the pricing and mix that caused it."},
    "gross_margin_pct": {"declining": "A lower margin rate: review supplier costs and discount depth.",
                         "improving": "A better margin rate: keep the pricing that caused it."},
    "new_users": {"declining": "Fewer sign-ups: check the sign-up page and the traffic sources behind it.",
                  "improving": "More sign-ups: make sure onboarding keeps up."},
    "activation_rate": {"declining": "Fewer new users reach their first meal plan: check onboarding step by step "
                                     "(by platform) for a broken step.",
                        "improving": "Activation improved: keep the onboarding change that did it."},
    "retention_rate": {"declining": "Fewer users come back: look at what the churned cohort did in its first week.",
                       "improving": "Retention is up: double down on the features returning users use."},
    "referral_rate": {"declining": "Fewer invites accepted: check the invite flow and incentive.",
                      "improving": "Referrals are up: make inviting easier to find."},
}

DEFAULTS: dict[str, str] = {
    "declining": "Look at its breakdown by channel and campaign (growthos explain) to find where it moved.",
    "improving": "Find what drove the improvement and keep doing it.",
    "stable": "No action needed.",
}


def recommendation(metric: str, trend: str) -> str:
    """The catalogue's recommendation for ``metric`` moving in ``trend``, else the generic one."""
    return RECOMMENDATIONS.get(metric, {}).get(trend) or DEFAULTS.get(trend, DEFAULTS["stable"])
