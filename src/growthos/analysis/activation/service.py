"""What the API routes and CLI commands call: each function reads the workspace's activation.yaml (or the
defaults), its reporting time zone and its 'now', runs one analysis and returns JSON-ready dicts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from growthos.analysis.aarrr_funnel import aarrr_funnel
from growthos.analysis.activation.bottlenecks import onboarding_bottlenecks
from growthos.analysis.activation.config import load_activation_config
from growthos.analysis.activation.scoring import activation_report, person_activation
from growthos.config import Settings
from growthos.core.periods import DateRange
from growthos.warehouse.engine import Engine


def activation_definitions(settings: Settings) -> dict[str, Any]:
    """The definitions in force (activation.yaml, else the defaults), prerequisites first."""
    return load_activation_config(settings.data_dir).to_dict()


def activation_summary(engine: Engine, settings: Settings, rng: DateRange) -> dict[str, Any]:
    """Activation of the range's sign-ups: rate, scores, time to activate, per-definition reach."""
    config = load_activation_config(settings.data_dir)
    return activation_report(engine, config, start=rng.start, end=rng.end, tz=settings.timezone,
                             as_of=settings.now()).to_dict()


def activation_bottlenecks(engine: Engine, settings: Settings, rng: DateRange) -> dict[str, Any]:
    """The onboarding funnel of the range's sign-ups and its bottlenecks with recommendations."""
    config = load_activation_config(settings.data_dir)
    return onboarding_bottlenecks(engine, config, start=rng.start, end=rng.end, tz=settings.timezone,
                                  as_of=settings.now()).to_dict()


def user_activation(engine: Engine, settings: Settings, user: str) -> dict[str, Any]:
    """One person's activation (found by any of their ids)."""
    config = load_activation_config(settings.data_dir)
    return person_activation(engine, config, user, as_of=settings.now()).to_dict()


def funnel_summary(engine: Engine, settings: Settings, rng: DateRange) -> dict[str, Any]:
    """The range's AARRR funnel with referral and revenue."""
    config = load_activation_config(settings.data_dir)
    return aarrr_funnel(engine, config, start=rng.start, end=rng.end, tz=settings.timezone, as_of=settings.now(),
                        last_full_day=settings.today() - timedelta(days=1)).to_dict()
