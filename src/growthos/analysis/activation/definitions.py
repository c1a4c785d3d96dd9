"""What "activated" means: activation definitions (an event, criteria, a weight, a window from sign-up,
prerequisites, a core flag), the onboarding steps, and the defaults for the demo recipe app.

A definition is *met* by a person who signed up when at least ``criteria.min_count`` of its events (track
events named ``event`` whose properties match ``criteria.where``) happened no later than ``window_days``
after their sign-up and no earlier than the moment every prerequisite was met. Events up to
``PRE_SIGNUP_DAYS`` before the sign-up count too: a person's anonymous events before signing up are theirs
once the ids are merged. The person is *activated* when every core definition is met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from growthos.core.errors import InvalidInput
from growthos.metrics.product.common import event_name, property_path
from growthos.sources.demo.app_catalog import ONBOARDING_STEPS

PRE_SIGNUP_DAYS = 30
"""Events this many days before a sign-up still count for the definitions (anonymous browsing)."""
MAX_DEFINITIONS = 30
MAX_WINDOW_DAYS = 365
MAX_MIN_COUNT = 1000
MAX_STEPS = 19
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Criteria:
    """Which events of a definition count, and how many are needed."""

    where: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Property name -> the text its value must equal (``properties ->> name``)."""
    min_count: int = 1
    """Matching events needed."""


@dataclass(frozen=True)
class ActivationDefinition:
    name: str
    """Identifier (a-z 0-9 _ -), unique in a configuration."""
    event: str
    """Track event name."""
    criteria: Criteria = field(default_factory=Criteria)
    weight: float = 1.0
    """Share of the activation score (score = met weights / all weights)."""
    window_days: int = 7
    """The events must happen within this many days after the sign-up (inclusive)."""
    prerequisites: tuple[str, ...] = ()
    """Names of definitions that must be met first: only events from then on count."""
    core: bool = False
    """Activated = every core definition met."""
    label: str = ""
    """Human name (default: the name)."""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Onboarding:
    """The onboarding funnel: sign-up, then one ``event`` per step told apart by ``property``."""

    event: str = "Onboarding Step Completed"
    property: str = "step_name"
    steps: tuple[str, ...] = ONBOARDING_STEPS
    """The property's value of each step, in order."""
    window_days: int = 7
    """Steps must be completed within this many days of the sign-up."""
    breakdown: str | None = "platform"
    """Property of the sign-up event compared across values (None: no segment comparison)."""


@dataclass(frozen=True)
class ActivationConfig:
    definitions: tuple[ActivationDefinition, ...]
    """In an order where every prerequisite comes before the definitions needing it."""
    signup_event: str = "Signed Up"
    onboarding: Onboarding = field(default_factory=Onboarding)
    source: str = "defaults"
    """Where it came from: 'defaults' or the path of activation.yaml."""

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "signup_event": self.signup_event,
            "total_weight": sum(d.weight for d in self.definitions),
            "definitions": [{"name": d.name, "label": d.title, "event": d.event, "where": dict(d.criteria.where),
                             "min_count": d.criteria.min_count, "weight": d.weight, "window_days": d.window_days,
                             "prerequisites": list(d.prerequisites), "core": d.core} for d in self.definitions],
            "onboarding": {"event": self.onboarding.event, "property": self.onboarding.property,
                           "steps": list(self.onboarding.steps), "window_days": self.onboarding.window_days,
                           "breakdown": self.onboarding.breakdown},
        }


def _step(name: str) -> MappingProxyType:
    return MappingProxyType({"step_name": name})


DEFAULT_DEFINITIONS: tuple[ActivationDefinition, ...] = (
    ActivationDefinition("onboarding_started", "Onboarding Step Completed", Criteria(_step(ONBOARDING_STEPS[0])),
                         weight=1, window_days=7, label="Onboarding started"),
    ActivationDefinition("onboarding_completed", "Onboarding Step Completed",
                         Criteria(_step(ONBOARDING_STEPS[-1])), weight=2, window_days=7,
                         prerequisites=("onboarding_started",), label="Onboarding completed"),
    ActivationDefinition("first_meal_plan", "Meal Plan Created", weight=3, window_days=7, core=True,
                         label="First meal plan within 7 days"),
    ActivationDefinition("recipe_saved", "Recipe Saved", weight=1, window_days=7, label="Recipe saved"),
    ActivationDefinition("three_recipes_generated", "Recipe Generated", Criteria(min_count=3), weight=1,
                         window_days=7, label="Three recipes generated"),
    ActivationDefinition("shopping_list_exported", "Shopping List Exported", weight=1, window_days=14,
                         prerequisites=("first_meal_plan",), label="Shopping list exported after a plan"),
    ActivationDefinition("invite_sent", "Invite Sent", weight=1, window_days=14, prerequisites=("first_meal_plan",),
                         label="Invite sent after a plan"),
)
"""The recipe app's milestones: the first meal plan within 7 days is the core one (weights total 10)."""

DEFAULT_CONFIG = ActivationConfig(DEFAULT_DEFINITIONS)


def check_definitions(definitions: Sequence[ActivationDefinition], field_prefix: str = "definitions"
                      ) -> tuple[ActivationDefinition, ...]:
    """The definitions ordered so that prerequisites come first; InvalidInput naming the field otherwise."""
    if not definitions:
        raise InvalidInput("at least one activation definition is needed", field=field_prefix)
    if len(definitions) > MAX_DEFINITIONS:
        raise InvalidInput(f"at most {MAX_DEFINITIONS} definitions, got {len(definitions)}", field=field_prefix)
    index: dict[str, int] = {}
    for i, d in enumerate(definitions):
        where = f"{field_prefix}[{i}]"
        if not d.name or len(d.name) > 64 or not set(d.name) <= NAME_CHARS:
            raise InvalidInput(f"{where}.name must be 1-64 characters of a-z 0-9 _ -, got {d.name!r}",
                               field=f"{where}.name")
        if d.name in index:
            raise InvalidInput(f"{where}.name {d.name!r} is used twice", field=f"{where}.name")
        index[d.name] = i
        event_name(d.event, f"{where}.event")
        for key, value in d.criteria.where.items():
            property_path(key, f"{where}.criteria.where")
            if not isinstance(value, str):
                raise InvalidInput(f"{where}.criteria.where.{key} must be text", field=f"{where}.criteria.where")
        _int_in(d.criteria.min_count, 1, MAX_MIN_COUNT, f"{where}.criteria.min_count")
        _int_in(d.window_days, 1, MAX_WINDOW_DAYS, f"{where}.window_days")
        if isinstance(d.weight, bool) or not isinstance(d.weight, int | float) or not 0 < d.weight <= 1000:
            raise InvalidInput(f"{where}.weight must be a number above 0 and at most 1000, got {d.weight!r}",
                               field=f"{where}.weight")
    if not any(d.core for d in definitions):
        raise InvalidInput("at least one definition must be core (core: true): activated = all core ones met",
                           field=field_prefix)
    for i, d in enumerate(definitions):
        for p in d.prerequisites:
            if p not in index:
                raise InvalidInput(f"{field_prefix}[{i}].prerequisites names {p!r}, which is not a definition",
                                   field=f"{field_prefix}[{i}].prerequisites")
            if p == d.name:
                raise InvalidInput(f"{field_prefix}[{i}] cannot be its own prerequisite",
                                   field=f"{field_prefix}[{i}].prerequisites")
    return _ordered(definitions, index, field_prefix)


def _ordered(definitions: Sequence[ActivationDefinition], index: dict[str, int], field_prefix: str
             ) -> tuple[ActivationDefinition, ...]:
    """Depth-first topological order, stable in the file's order; a cycle is InvalidInput."""
    by_name = {d.name: d for d in definitions}
    done: dict[str, bool] = {}  # name -> finished (False while on the current path)
    out: list[ActivationDefinition] = []

    def visit(name: str) -> None:
        if done.get(name) is True:
            return
        if done.get(name) is False:
            raise InvalidInput(f"{field_prefix}[{index[name]}] ({name}) is part of a prerequisite cycle",
                               field=f"{field_prefix}[{index[name]}].prerequisites")
        done[name] = False
        for p in by_name[name].prerequisites:
            visit(p)
        done[name] = True
        out.append(by_name[name])

    for d in definitions:
        visit(d.name)
    return tuple(out)


def check_onboarding(onboarding: Onboarding, field_prefix: str = "onboarding") -> Onboarding:
    event_name(onboarding.event, f"{field_prefix}.event")
    property_path(onboarding.property, f"{field_prefix}.property")
    if not 1 <= len(onboarding.steps) <= MAX_STEPS:
        raise InvalidInput(f"{field_prefix}.steps needs 1 to {MAX_STEPS} steps", field=f"{field_prefix}.steps")
    for i, step in enumerate(onboarding.steps):
        if not isinstance(step, str) or not step:
            raise InvalidInput(f"{field_prefix}.steps[{i}] must be a non-empty text", field=f"{field_prefix}.steps")
    if len(set(onboarding.steps)) != len(onboarding.steps):
        raise InvalidInput(f"{field_prefix}.steps names a step twice", field=f"{field_prefix}.steps")
    _int_in(onboarding.window_days, 1, MAX_WINDOW_DAYS, f"{field_prefix}.window_days")
    if onboarding.breakdown is not None:
        property_path(onboarding.breakdown, f"{field_prefix}.breakdown")
    return onboarding


def _int_in(value: object, low: int, high: int, field_name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field_name} must be an integer from {low} to {high}, got {value!r}", field=field_name)
