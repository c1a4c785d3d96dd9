"""What an AI call cost: a price table in USD per 1M input and output tokens.

``DEFAULT_PRICES`` are list prices as of 2025-07-01 from the providers' public pricing pages (OpenAI,
Anthropic, Google) — override with your own: negotiated rates, newer models, other providers. Where a
provider has tiers by prompt length, the lowest tier is listed; discounts for cached input tokens and
batch APIs are not modelled.

cost = tokens_in × input price / 1M + tokens_out × output price / 1M. A model the table does not know costs
``None`` (unknown), never 0, so an unpriced model cannot pass for a free one. A dated snapshot name (e.g.
``gpt-4o-mini-2024-07-18``, ``claude-3-5-haiku-20241022``, ``gpt-4-0613`` or ``...-latest``) is priced as its
base name when the table has no entry of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PRICES_AS_OF = "2025-07-01"


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input_per_m: float
    output_per_m: float

    def __post_init__(self) -> None:
        if self.input_per_m < 0 or self.output_per_m < 0:
            raise ValueError("prices must not be negative")


DEFAULT_PRICES: Mapping[str, Price] = {
    # OpenAI
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4-turbo": Price(10.00, 30.00),
    "gpt-4": Price(30.00, 60.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    "o1": Price(15.00, 60.00),
    "o1-mini": Price(1.10, 4.40),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    "text-embedding-3-small": Price(0.02, 0.0),
    "text-embedding-3-large": Price(0.13, 0.0),
    "text-embedding-ada-002": Price(0.10, 0.0),
    # Anthropic
    "claude-opus-4": Price(15.00, 75.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-3-5-sonnet": Price(3.00, 15.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-3-opus": Price(15.00, 75.00),
    "claude-3-haiku": Price(0.25, 1.25),
    # Google (prompts up to 128k / 200k tokens)
    "gemini-2.5-pro": Price(1.25, 10.00),
    "gemini-2.5-flash": Price(0.30, 2.50),
    "gemini-2.0-flash": Price(0.10, 0.40),
    "gemini-2.0-flash-lite": Price(0.075, 0.30),
    "gemini-1.5-pro": Price(1.25, 5.00),
    "gemini-1.5-flash": Price(0.075, 0.30),
}
"""List prices as of 2025-07-01 — override with your own."""

_SNAPSHOT = re.compile(r"^(?P<base>.+?)-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$")


class PriceTable:
    """Prices by model name: the defaults (unless ``include_defaults=False``) with ``overrides`` on top."""

    def __init__(self, overrides: Mapping[str, Price | tuple[float, float]] | None = None, *,
                 include_defaults: bool = True) -> None:
        self.prices: dict[str, Price] = dict(DEFAULT_PRICES) if include_defaults else {}
        for model, price in (overrides or {}).items():
            self.prices[model] = price if isinstance(price, Price) else Price(*price)

    def price(self, model: str) -> Price | None:
        """The model's price, or its base name's for a dated snapshot; None when unknown."""
        found = self.prices.get(model)
        if found is not None:
            return found
        match = _SNAPSHOT.match(model)
        return self.prices.get(match["base"]) if match else None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        """USD for one call, or None for a model without a price."""
        price = self.price(model)
        if price is None:
            return None
        return (tokens_in * price.input_per_m + tokens_out * price.output_per_m) / 1_000_000
