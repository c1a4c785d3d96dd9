"""The store simulation: customers arrive through touches, reorder on a cadence, sometimes get refunds.

Streams the shop's products (with their variants' unit costs) first, then runs day by day and streams
Shopify records (orders, refunded order versions, customers) while it collects per-day, per-touch
aggregates that the ads and GA4 generators read afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from growthos.config import DEFAULT_CATEGORY_MARGINS
from growthos.sources.base import RawRecord
from growthos.sources.demo import catalog
from growthos.sources.demo.anomalies import AnomalyCalendar
from growthos.sources.demo.catalog import Product, Store
from growthos.sources.demo.clock import DayClock
from growthos.sources.demo.demand import VIRAL_EXTRA_SHARE, Demand
from growthos.sources.demo.sampling import binomial, poisson, stream
from growthos.sources.demo.shopify_shapes import (
    LineDraft,
    OrderDraft,
    RefundDraft,
    Visit,
    customer_payload,
    order_payload,
    product_payload,
)
from growthos.sources.demo.touches import RETURNING_MIX, TOUCH_BY_KEY, Touch

LINE_ID_BASE = 13000000000
REFUND_ID_BASE = 9800000000
REFUND_PROBABILITY = 0.05
GA4_CAPTURE = 0.94
"""Share of orders GA4 records as ecommerce purchases (ad blockers, consent)."""
SUBSCRIBER_SHARE = 0.26
SUBSCRIBER_CONTINUE = 0.88
OCCASIONAL_CONTINUE = 0.36
CADENCES = (7, 14, 21)
CADENCE_WEIGHTS = (0.45, 0.4, 0.15)
ORDER_HOURS = tuple(range(7, 23))
ORDER_HOUR_WEIGHTS = (2, 3, 3, 3, 4, 5, 4, 3, 4, 5, 7, 9, 10, 9, 6, 3)
CATALOGUE_UPDATED_DAYS_BEFORE = 30
"""The products were last edited this many days before the period's first day (at 09:00 UTC)."""

_RETURNING_KEYS = tuple(RETURNING_MIX)
_RETURNING_CUM = tuple(sum(tuple(RETURNING_MIX.values())[: i + 1]) for i in range(len(RETURNING_MIX)))
_HOUR_CUM = tuple(sum(ORDER_HOUR_WEIGHTS[: i + 1]) for i in range(len(ORDER_HOUR_WEIGHTS)))
_BOX_CUM = tuple(sum(catalog.BOX_WEIGHTS[: i + 1]) for i in range(len(catalog.BOX_WEIGHTS)))


@dataclass(slots=True)
class TouchDay:
    """What happened through one touch on one day."""

    new_intended: int = 0
    """New customers who reached checkout (including failed checkouts)."""
    returning_intended: int = 0
    orders: int = 0
    new_orders: int = 0
    value_usd_cents: int = 0
    """Subtotal of the orders, in USD cents (what the ad platforms see)."""
    tracked: int = 0
    """Orders GA4 recorded."""
    tracked_revenue_usd_cents: int = 0


@dataclass(slots=True)
class CustomerState:
    gid: str
    store: Store
    created_at: datetime
    first_name: str
    last_name: str
    province: str
    subscriber: bool
    cadence: int
    box: int
    tags: list[str]
    orders: int = 0
    spent_cents: int = 0
    updated_at: datetime | None = None
    last_event_day: int = 0


class ShopSimulation:
    """One run of the store over the period; iterate ``records()`` once, then read ``stats``."""

    def __init__(self, seed: int, demand: Demand, calendar: AnomalyCalendar) -> None:
        self.demand = demand
        self.calendar = calendar
        self.stats: list[dict[str, TouchDay]] = [{} for _ in demand.days]
        self._arrivals = stream(seed, "arrivals")
        self._customers = stream(seed, "customers")
        self._orders = stream(seed, "orders")
        self._repeat = stream(seed, "repeat")
        self._refunds = stream(seed, "refunds")
        self._order_seq = {catalog.US_STORE.handle: 0, catalog.CA_STORE.handle: 0}
        self._customer_seq = {catalog.US_STORE.handle: 0, catalog.CA_STORE.handle: 0}
        self._line_seq = 0
        self._refund_seq = 0
        self._due: dict[int, list[CustomerState]] = {}
        self._refunded_versions: dict[int, list[OrderDraft]] = {}
        self._final: dict[int, list[CustomerState]] = {}

    # -- the day loop --------------------------------------------------------------------------

    def records(self) -> Iterator[RawRecord]:
        yield from product_records(self.demand.days[0])
        for index, day in enumerate(self.demand.days):
            clock = DayClock(day)
            attempts = self._arrive(index) + self._returning(index)
            timed = [(self._order_second(), seq, cust, key) for seq, (cust, key) in enumerate(attempts)]
            timed.sort(key=lambda t: (t[0], t[1]))
            recalled = self._recalled(day, len(timed))
            for position, (seconds, _, cust, key) in enumerate(timed):
                draft = self._order(index, clock, seconds, cust, key, position in recalled)
                yield _order_record(draft, refunded=False)
            for draft in sorted(self._refunded_versions.pop(index, []), key=_refund_sort_key):
                yield _order_record(draft, refunded=True)
            for cust in self._final.pop(index, []):
                yield _customer_record(cust)

    def _recalled(self, day: date, n_orders: int) -> set[int]:
        """Positions of the day's orders caught by a recall (a fixed share on a refund-spike day)."""
        share = self.calendar.recall_share(day)
        if not share:
            return set()
        return set(self._refunds.sample(range(n_orders), round(share * n_orders)))

    def _touch_day(self, index: int, key: str) -> TouchDay:
        day_stats = self.stats[index]
        found = day_stats.get(key)
        if found is None:
            found = day_stats[key] = TouchDay()
        return found

    def _arrive(self, index: int) -> list[tuple[CustomerState | None, str]]:
        """New customers reaching checkout today, by touch; failed checkouts are dropped."""
        day = self.demand.days[index]
        rates = dict(self.demand.new_rates(index))
        if self.calendar.viral(day):
            rates["organic_social:tiktok"] += VIRAL_EXTRA_SHARE * self.demand.total_new(index)
        success = self.calendar.checkout_success(day)
        out: list[tuple[CustomerState | None, str]] = []
        for key, lam in rates.items():
            n = poisson(self._arrivals, lam)
            self._touch_day(index, key).new_intended += n
            if success < 1.0:
                n = binomial(self._arrivals, n, success)
            out.extend((None, key) for _ in range(n))
        return out

    def _returning(self, index: int) -> list[tuple[CustomerState | None, str]]:
        """Customers due to reorder today, with the touch they come back through."""
        success = self.calendar.checkout_success(self.demand.days[index])
        out: list[tuple[CustomerState | None, str]] = []
        for cust in self._due.pop(index, []):
            key = self._repeat.choices(_RETURNING_KEYS, cum_weights=_RETURNING_CUM)[0]
            if not self.demand.live_campaign_touch(key, index):
                key = "direct"
            self._touch_day(index, key).returning_intended += 1
            if success < 1.0 and self._repeat.random() >= success:
                self._schedule_next(cust, index)
                continue
            out.append((cust, key))
        return out

    def _order_second(self) -> int:
        hour = self._orders.choices(ORDER_HOURS, cum_weights=_HOUR_CUM)[0]
        return hour * 3600 + self._orders.randrange(3600)

    # -- customers -----------------------------------------------------------------------------

    def _new_customer(self, created_at: datetime, touch: Touch) -> CustomerState:
        rng = self._customers
        store = catalog.CA_STORE if rng.random() < catalog.CA_SHARE else catalog.US_STORE
        self._customer_seq[store.handle] += 1
        gid = f"gid://shopify/Customer/{store.customer_id_base + self._customer_seq[store.handle]}"
        if store is catalog.CA_STORE:
            province = rng.choices(catalog.CA_PROVINCES, weights=catalog.CA_PROVINCE_WEIGHTS)[0]
        else:
            province = rng.choices(catalog.US_PROVINCES, weights=catalog.US_PROVINCE_WEIGHTS)[0]
        share = SUBSCRIBER_SHARE * (0.8 if touch.channel == "organic_social" else 1.0)
        subscriber = rng.random() < share
        return CustomerState(
            gid=gid,
            store=store,
            created_at=created_at - timedelta(seconds=rng.randrange(60, 1200)),
            first_name=rng.choice(catalog.FIRST_NAMES),
            last_name=rng.choice(catalog.LAST_NAMES),
            province=province,
            subscriber=subscriber,
            cadence=rng.choices(CADENCES, weights=CADENCE_WEIGHTS)[0],
            box=rng.choices(range(len(catalog.BOXES)), cum_weights=_BOX_CUM)[0],
            tags=["subscriber"] if subscriber else [],
        )

    def _schedule_next(self, cust: CustomerState, index: int) -> None:
        """Book the customer's next order, or finalise the customer when there is none in the period."""
        rng = self._repeat
        if cust.subscriber:
            keep = rng.random() < SUBSCRIBER_CONTINUE
            gap = cust.cadence
            roll = rng.random()
            if roll < 0.08:
                gap += cust.cadence  # skipped a delivery
            elif roll < 0.25:
                gap += rng.choice((-2, -1, 1, 2))
        else:
            keep = rng.random() < OCCASIONAL_CONTINUE
            gap = rng.randint(10, 45)
        nxt = index + gap
        if keep and nxt < len(self.demand.days):
            self._due.setdefault(nxt, []).append(cust)
        else:
            self._final.setdefault(max(index, cust.last_event_day), []).append(cust)

    # -- orders --------------------------------------------------------------------------------

    def _order(
        self, index: int, clock: DayClock, seconds: int, cust: CustomerState | None, key: str, recalled: bool
    ) -> OrderDraft:
        rng = self._orders
        day = clock.day
        touch = TOUCH_BY_KEY[key]
        created = clock.at(seconds)
        first = cust is None
        if cust is None:
            cust = self._new_customer(created, touch)
        store = cust.store
        gift = not first and rng.random() < catalog.GIFT_CARD_PROBABILITY * (5 if day.month == 12 else 1)
        lines = self._basket(cust, first, gift)
        code = None
        if first:
            code_choice, probability = catalog.FIRST_ORDER_CODE_PROBABILITY[touch.channel]
            if rng.random() < probability:
                code = code_choice
                cust.tags.append("welcome-offer")
        elif key == "email:Winback - 30 Day" and not gift:
            code = catalog.COMEBACK15
        if code is not None:
            for line in lines:
                line.discount_cents = (line.gross_cents * code.percentage + 50) // 100
        gross = sum(line.gross_cents for line in lines)
        shipping = store.shipping_cents if not gift and gross < store.free_shipping_cents else 0
        self._order_seq[store.handle] += 1
        draft = OrderDraft(
            store=store, number=self._order_seq[store.handle], created_at=created, customer_gid=cust.gid,
            customer_order_index=cust.orders, lines=lines, code=code, shipping_cents=shipping,
            journey=self._journey(touch, created, first),
        )
        if not gift:
            draft.refund = self._maybe_refund(index, draft, recalled)
        self._book(index, key, first, cust, draft)
        return draft

    def _basket(self, cust: CustomerState, first: bool, gift: bool) -> list[LineDraft]:
        rng = self._orders
        if gift:
            return [self._line(rng.choice(catalog.GIFT_CARDS), 1, cust.store)]
        if not first and rng.random() < 0.15:
            cust.box = rng.choices(range(len(catalog.BOXES)), cum_weights=_BOX_CUM)[0]
        lines = [self._line(catalog.BOXES[cust.box], 1, cust.store)]
        for add_on in catalog.ADD_ONS:
            if rng.random() < catalog.ADD_ON_PROBABILITY:
                lines.append(self._line(add_on, 2 if rng.random() < 0.2 else 1, cust.store))
        if rng.random() < catalog.PANTRY_PROBABILITY:
            lines.append(self._line(rng.choice(catalog.PANTRY), 1, cust.store))
        return lines

    def _line(self, product: Product, quantity: int, store: Store) -> LineDraft:
        self._line_seq += 1
        return LineDraft(f"gid://shopify/LineItem/{LINE_ID_BASE + self._line_seq}", product, quantity,
                         product.price_cents(store))

    def _journey(self, touch: Touch, created: datetime, first: bool) -> tuple[Visit, Visit, int] | None:
        if touch.channel == "unknown":
            return None
        rng = self._orders
        days = rng.choices((0, 1, 2, 3, 5, 7), weights=(40, 20, 12, 10, 10, 8))[0] if first else 0
        first_at = created - timedelta(days=days, seconds=rng.randrange(300, 5400))
        last_at = created - timedelta(seconds=rng.randrange(120, 1800))
        first_visit = Visit(touch, first_at, self._click(touch))
        last_visit = first_visit if days == 0 else Visit(touch, last_at, self._click(touch))
        return first_visit, last_visit, days

    def _click(self, touch: Touch) -> str | None:
        if touch.click_id == "fbclid":
            return f"IwAR{self._orders.getrandbits(120):030x}"
        if touch.click_id == "gclid":
            return f"Cj0KCQ{self._orders.getrandbits(120):030x}"
        return None

    def _maybe_refund(self, index: int, draft: OrderDraft, recall: bool) -> RefundDraft | None:
        rng = self._refunds
        if rng.random() >= REFUND_PROBABILITY and not recall:
            return None
        # Refunds come 1-10 days later (1-3 for a recall), within the period: near its end the delay
        # shrinks rather than the refund rate.
        longest = min(3 if recall else 10, len(self.demand.days) - 1 - index)
        if longest < 1:
            return None
        refund_day = index + rng.randint(1, longest)
        if recall or rng.random() < 0.4:
            items = [(i, line.quantity, line.net_cents) for i, line in enumerate(draft.lines)]
        else:
            i = rng.randrange(len(draft.lines))
            line = draft.lines[i]
            quantity = rng.randint(1, line.quantity)
            cents = line.net_cents if quantity == line.quantity else round(line.net_cents * quantity / line.quantity)
            items = [(i, quantity, cents)]
        self._refund_seq += 1
        created = DayClock(self.demand.days[refund_day]).at(rng.randrange(9 * 3600, 20 * 3600))
        note = catalog.RECALL_NOTE if recall else rng.choice(catalog.REFUND_NOTES)
        return RefundDraft(f"gid://shopify/Refund/{REFUND_ID_BASE + self._refund_seq}", created, note, items,
                           refund_day)

    def _book(self, index: int, key: str, first: bool, cust: CustomerState, draft: OrderDraft) -> None:
        """Update the customer and the day's aggregates with a placed order; schedule what follows."""
        cust.orders += 1
        cust.spent_cents += draft.total_cents
        cust.updated_at = max(cust.updated_at or draft.created_at, draft.created_at)
        if draft.refund is not None:
            cust.spent_cents -= draft.refund.total_cents
            cust.updated_at = max(cust.updated_at, draft.refund.created_at)
            refund_day = draft.refund.day_index
            cust.last_event_day = max(cust.last_event_day, refund_day)
            self._refunded_versions.setdefault(refund_day, []).append(draft)
        cust.last_event_day = max(cust.last_event_day, index)
        stats = self._touch_day(index, key)
        stats.orders += 1
        if first:
            stats.new_orders += 1
        usd = round(draft.subtotal_cents * draft.store.usd_rate)
        stats.value_usd_cents += usd
        if self._orders.random() < GA4_CAPTURE:
            stats.tracked += 1
            stats.tracked_revenue_usd_cents += round(draft.total_cents * draft.store.usd_rate)
        self._schedule_next(cust, index)


def unit_cost(product: Product, store: Store) -> Decimal | None:
    """The variant's unit cost in the shop currency: list price x (1 - default margin of its type), or None."""
    if product.sku in catalog.NO_UNIT_COST:
        return None
    return Decimal(product.price_cents(store)) / 100 * (1 - DEFAULT_CATEGORY_MARGINS[product.product_type])


def product_records(first_day: date) -> Iterator[RawRecord]:
    """Every product of both stores, as last edited before the period."""
    updated = datetime.combine(first_day - timedelta(days=CATALOGUE_UPDATED_DAYS_BEFORE), time(9), tzinfo=UTC)
    for store in (catalog.US_STORE, catalog.CA_STORE):
        for product in catalog.CATALOGUE:
            payload = product_payload(product, store, updated, unit_cost(product, store))
            yield RawRecord("shopify", "product", payload["id"], payload, updated)


def _refund_sort_key(draft: OrderDraft) -> tuple[datetime, str]:
    assert draft.refund is not None
    return draft.refund.created_at, draft.gid


def _order_record(draft: OrderDraft, refunded: bool) -> RawRecord:
    payload = order_payload(draft, refunded)
    return RawRecord("shopify", "order", payload["id"], payload, _parse(payload["updatedAt"]))


def _customer_record(cust: CustomerState) -> RawRecord:
    assert cust.updated_at is not None
    payload = customer_payload(
        gid=cust.gid, created_at=cust.created_at, updated_at=cust.updated_at, first_name=cust.first_name,
        last_name=cust.last_name, orders=cust.orders, spent_cents=cust.spent_cents, store=cust.store,
        province=cust.province, tags=cust.tags,
    )
    return RawRecord("shopify", "customer", payload["id"], payload, cust.updated_at)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
