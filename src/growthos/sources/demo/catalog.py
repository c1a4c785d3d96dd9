"""Forkful's product catalogue, stores, discount codes and customer name pools (static data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Store:
    """One Shopify store: its handle, shop currency and id ranges."""

    handle: str
    currency: str
    country: str
    order_id_base: int
    customer_id_base: int
    product_id_base: int
    variant_id_base: int
    free_shipping_cents: int
    """Orders whose list-price total is below this pay ``shipping_cents``."""
    shipping_cents: int
    usd_rate: float
    """USD per unit of the shop currency (what ad platforms and GA4 report the order as)."""


US_STORE = Store("forkful-us", "USD", "US", 5300000000, 7100000000, 8800000000, 4500000000, 6000, 799, 1.0)
CA_STORE = Store("forkful-ca", "CAD", "CA", 5310000000, 7200000000, 8900000000, 4600000000, 8000, 1099, 0.73)
CA_SHARE = 0.08
"""Share of customers (hence orders) that buy from the Canadian store."""


@dataclass(frozen=True, slots=True)
class Product:
    index: int
    title: str
    sku: str
    product_type: str
    usd_cents: int
    cad_cents: int

    def price_cents(self, store: Store) -> int:
        return self.cad_cents if store.currency == "CAD" else self.usd_cents

    def product_gid(self, store: Store) -> str:
        return f"gid://shopify/Product/{store.product_id_base + self.index}"

    def variant_gid(self, store: Store) -> str:
        return f"gid://shopify/ProductVariant/{store.variant_id_base + self.index}"


_P = Product
BOXES: tuple[Product, ...] = (
    _P(1, "Classic Box — 3 meals for 2", "MK-CL-3x2", "Meal Kits", 6594, 8794),
    _P(2, "Classic Box — 4 meals for 2", "MK-CL-4x2", "Meal Kits", 8392, 11192),
    _P(3, "Classic Box — 5 meals for 2", "MK-CL-5x2", "Meal Kits", 9990, 13290),
    _P(4, "Veggie Box — 3 meals for 2", "MK-VG-3x2", "Meal Kits", 5994, 7994),
    _P(5, "Quick & Easy Box — 3 meals for 2", "MK-QE-3x2", "Meal Kits", 6294, 8394),
    _P(6, "Family Box — 3 meals for 4", "FB-3x4", "Family Boxes", 10788, 14388),
    _P(7, "Family Box — 4 meals for 4", "FB-4x4", "Family Boxes", 13584, 17984),
)
BOX_WEIGHTS: tuple[float, ...] = (0.26, 0.17, 0.07, 0.14, 0.14, 0.13, 0.09)

ADD_ONS: tuple[Product, ...] = (
    _P(11, "Garlic Bread Add-on", "AO-GARLIC", "Add-ons", 599, 799),
    _P(12, "Dessert: Chocolate Lava Cakes (2)", "AO-LAVA", "Add-ons", 899, 1199),
    _P(13, "Breakfast Pack: Overnight Oats (4)", "AO-OATS", "Add-ons", 1299, 1699),
    _P(14, "Protein Upgrade: Ribeye", "AO-RIBEYE", "Add-ons", 1499, 1999),
    _P(15, "Side Salad Kit", "AO-SALAD", "Add-ons", 699, 899),
)
ADD_ON_PROBABILITY = 0.11
"""Chance that an order carries each add-on."""

PANTRY: tuple[Product, ...] = (
    _P(21, "Forkful Chili Crisp", "PN-CHILI", "Pantry", 1199, 1599),
    _P(22, "Everyday Spice Set", "PN-SPICE", "Pantry", 2499, 3299),
    _P(23, "Extra Virgin Olive Oil 500ml", "PN-OLIVE", "Pantry", 1799, 2399),
    _P(24, "Artisan Pasta Trio", "PN-PASTA", "Pantry", 1499, 1999),
)
PANTRY_PROBABILITY = 0.14
"""Chance that an order carries one pantry item."""

GIFT_CARDS: tuple[Product, ...] = (
    _P(31, "Forkful Gift Card $50", "GC-50", "Gift Cards", 5000, 5000),
    _P(32, "Forkful Gift Card $100", "GC-100", "Gift Cards", 10000, 10000),
)
GIFT_CARD_PROBABILITY = 0.004
"""Chance that a returning order is a gift-card purchase (five times as likely in December)."""

CATALOGUE: tuple[Product, ...] = BOXES + ADD_ONS + PANTRY + GIFT_CARDS
"""Every product, in id order: what the shop's Product nodes list."""

NO_UNIT_COST = frozenset({"GC-50", "GC-100", "AO-SALAD"})
"""SKUs whose variants carry no unit cost (gift cards have none; nobody entered the salad kit's), so their
COGS falls back to the category margin. Every other variant's unit cost is its list price x (1 - the
default gross margin of its product type), exactly: the demo's COGS is the same whichever source it uses."""


@dataclass(frozen=True, slots=True)
class DiscountCode:
    code: str
    percentage: int


WELCOME30 = DiscountCode("WELCOME30", 30)
FRIEND25 = DiscountCode("FRIEND25", 25)
COMEBACK15 = DiscountCode("COMEBACK15", 15)

FIRST_ORDER_CODE_PROBABILITY: dict[str, tuple[DiscountCode, float]] = {
    "meta": (WELCOME30, 0.95),
    "google_ads": (WELCOME30, 0.9),
    "email": (WELCOME30, 1.0),
    "referral": (FRIEND25, 0.6),
    "organic_social": (WELCOME30, 0.5),
    "organic_search": (WELCOME30, 0.35),
    "direct": (WELCOME30, 0.35),
    "unknown": (WELCOME30, 0.35),
}
"""First orders: which code a channel's new customers use, and how often."""

FIRST_NAMES = (
    "Ava", "Liam", "Maya", "Noah", "Emma", "Ethan", "Zoe", "Lucas", "Priya", "Mateo", "Chloe", "Omar", "Grace",
    "Daniel", "Nora", "Leo", "Hannah", "Isaac", "Sofia", "Owen", "Aisha", "Caleb", "Mia", "Julian",
)
LAST_NAMES = (
    "Smith", "Garcia", "Chen", "Johnson", "Patel", "Brown", "Nguyen", "Miller", "Lopez", "Wilson", "Kim",
    "Anderson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Hall",
)
US_PROVINCES = ("NY", "CA", "TX", "FL", "IL", "MA", "WA", "NJ", "PA", "CO", "GA", "NC", "VA", "OR", "MN")
US_PROVINCE_WEIGHTS = (14, 16, 10, 9, 7, 7, 6, 6, 6, 4, 4, 4, 3, 2, 2)
CA_PROVINCES = ("ON", "BC", "QC", "AB", "NS")
CA_PROVINCE_WEIGHTS = (45, 22, 15, 14, 4)

REFUND_NOTES = (
    "Box arrived damaged",
    "Missing ingredients",
    "Late delivery",
    "Ingredient quality complaint",
    "Customer cancelled before shipment",
)
RECALL_NOTE = "Supplier recall: spinach batch — refunded affected boxes"
