"""The recipe app's static data: platforms, sources, pages and screens, onboarding steps, cuisines, plans."""

from __future__ import annotations

PLATFORMS = ("web", "ios", "android")
PLATFORM_WEIGHTS = (40, 33, 27)
INVITEE_PLATFORM_WEIGHTS = (55, 25, 20)
"""Invited friends mostly open the invite link in a browser."""
SIGNUP_PROBABILITY = {"web": 0.36, "ios": 0.56, "android": 0.55}
"""Share of arriving visitors who ever sign up, by the platform they arrive on."""
WEEKDAY_FACTORS = (1.15, 1.0, 0.95, 0.9, 0.8, 0.95, 1.35)
"""Monday..Sunday, for arrivals and sessions: meal planning happens on Sundays."""
FIRST_VISIT_SIGNUP = 0.75
"""Share of those who sign up on their first visit (the others come back within ten days)."""

WEB_SOURCES = ("organic_search", "social", "direct", "referral")
WEB_SOURCE_WEIGHTS = (35, 30, 20, 15)
APP_SOURCES = ("app_store", "social")
APP_SOURCE_WEIGHTS = (70, 30)
REFERRERS = {
    "organic_search": ("https://www.google.com/", ""),
    "social": ("https://www.instagram.com/", "?utm_source=instagram&utm_medium=social&utm_campaign=reels"),
    "direct": ("", ""),
    "referral": ("https://www.seriouseats.example/best-meal-planners", ""),
}
"""Web arrival source -> (document.referrer, query string of the landing page)."""

PUBLIC_PAGES = (("/recipes", "Recipes"), ("/pricing", "Pricing"), ("/how-it-works", "How It Works"))
APP_PAGES = (("/app", "Dashboard"), ("/app/recipes", "Recipes"), ("/app/plan", "Meal Plan"),
             ("/app/shopping-list", "Shopping List"))
PUBLIC_SCREENS = ("Welcome", "Recipe Feed", "Recipe Detail")
APP_SCREENS = ("Home", "Recipe Feed", "Recipe Detail", "Meal Plan", "Shopping List", "Pantry")
RECIPES = (
    ("creamy-tuscan-chicken", "italian"), ("weeknight-bolognese", "italian"), ("sheet-pan-fajitas", "mexican"),
    ("black-bean-tacos", "mexican"), ("chana-masala", "indian"), ("butter-chicken", "indian"),
    ("miso-salmon", "japanese"), ("pad-see-ew", "thai"), ("greek-grain-bowl", "mediterranean"),
    ("smash-burgers", "american"), ("bibimbap", "korean"), ("shakshuka", "middle_eastern"),
)

ONBOARDING_STEPS = ("goals", "household", "dietary_preferences", "favourite_cuisines")
ONBOARDING_SUCCESS = (0.94, 0.90, 0.90, 0.93)
"""Chance of completing step n once step n-1 is done (step 3 is the one a release breaks)."""

CUISINES = ("italian", "mexican", "indian", "japanese", "thai", "mediterranean", "american", "korean",
            "french", "middle_eastern")
CUISINE_WEIGHTS = (18, 15, 12, 9, 9, 11, 10, 7, 4, 5)
EXPORT_TARGETS = ("instacart", "apple_notes", "pdf", "email")
EXPORT_TARGET_WEIGHTS = (45, 25, 15, 15)
INVITE_CHANNELS = ("sms", "email", "link")
INVITE_CHANNEL_WEIGHTS = (50, 20, 30)

PLANS = (("plus_monthly", 9.99), ("plus_annual", 6.67))
"""Paid plans and their monthly recurring revenue in USD (annual: 79.99 / 12)."""
PLAN_WEIGHTS = (70, 30)
CANCEL_REASONS = ("too_expensive", "not_cooking_enough", "switched_app", "other")

PRODUCT_FEATURES = {
    "AI recipes": ["Recipe Generated"],
    "Recipe box": ["Recipe Saved"],
    "Meal planning": ["Meal Plan Created"],
    "Shopping lists": ["Shopping List Exported"],
    "Pantry scan": ["Pantry Scanned"],
    "Invites": ["Invite Sent"],
}
"""The recipe app's features as the demo workspace names them (``product_features``): feature -> events."""
