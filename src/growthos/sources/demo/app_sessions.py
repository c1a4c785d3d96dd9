"""One person's life in the recipe app, from the first anonymous visit to the last session.

Retention: an engaged user is ``casual``, ``regular`` or ``loyal``; each week after the signup week
they drift away for good with their kind's hazard, and otherwise come back in most weeks. The mix of
hazards makes the weekly retention curve fall steeply and then flatten (the loyal users stay).
"""

from __future__ import annotations

import random
from datetime import date
from typing import TYPE_CHECKING, Any

from growthos.sources.demo import app_catalog as cat
from growthos.sources.demo.app_actions import Action, Invite
from growthos.sources.demo.app_devices import Device, new_device, page_properties
from growthos.sources.demo.catalog import FIRST_NAMES, LAST_NAMES
from growthos.sources.demo.sampling import poisson

if TYPE_CHECKING:
    from growthos.sources.demo.app_people import AppSimulation

DAY_MS = 86_400_000
KINDS = ("casual", "regular", "loyal")
KIND_WEIGHTS = (45, 30, 25)
WEEKLY_HAZARD = {"casual": 0.45, "regular": 0.12, "loyal": 0.015}
"""Chance, each week after the signup week, that an activated user stops using the app for good."""
NOT_ACTIVATED_HAZARD = 0.6
ACTIVE_WEEK = 0.85
"""Chance that a user who has not drifted away uses the app in a given week."""
SESSIONS_PER_WEEK = {"casual": 2.2, "regular": 3.5, "loyal": 5.0}
SUBSCRIBE = {"casual": 0.06, "regular": 0.25, "loyal": 0.55}
"""Chance that an activated user subscribes, one or two weeks after activating (if still around)."""
CANCEL_ON_CHURN = 0.85
"""Subscribers who cancel when they drift away (the others keep paying a while)."""
SECOND_DEVICE = 0.2
"""Signed-up users who later sign in on a second device."""
ALIAS_ON_SECOND_DEVICE = 0.2
"""Second devices linked with an ``alias`` call instead of an ``identify``."""
ACTIVATE_IN_SESSION = 0.25
"""Chance that a signed-up user who has not activated yet creates a first meal plan in a session."""
ACTIVATE_AFTER_ONBOARDING = 0.7
INVITE_PER_SESSION = 0.035
INVITE_ACCEPTED = 0.32
INVITE_ACCEPT_DAYS = 1.2
"""Mean days between an invite and its acceptance."""


class Life:
    """Simulates one person into ``sim.actions``; ``live()`` once."""

    def __init__(self, sim: AppSimulation, number: int, rng: random.Random, device: Device,
                 locale: tuple[str, str], source: str) -> None:
        self.sim = sim
        self.number = number
        self.rng = rng
        self.devices = [device]
        self.locale = locale
        self.source = source
        self.seq = 0
        self.user_id: str | None = None
        self.kind = "casual"
        self.activated = False
        self.subscribe_week: int | None = None
        self.plan: tuple[str, float] | None = None
        self.second_device_week: int | None = None
        self.last_ms = 0
        self._logged_in: set[str] = set()
        self._pages: dict[str, dict[str, Any]] = {}

    # -- the story -------------------------------------------------------------------------------

    def live(self, arrive_ms: int, index: int, invite: Invite | None) -> None:
        rng, sim, device = self.rng, self.sim, self.devices[0]
        signs_up = invite is not None or rng.random() < cat.SIGNUP_PROBABILITY[device.platform]
        if not signs_up:
            self.visit(arrive_ms, device, landing=True)
            for _ in range(poisson(rng, 0.7)):
                later = index + rng.randint(1, 14)
                if later >= len(sim.days):
                    break
                self.visit(max(sim.session_ms(rng, later), self.last_ms + 60_000), device, landing=False)
            return
        at = arrive_ms
        if invite is None and rng.random() >= cat.FIRST_VISIT_SIGNUP:
            self.visit(arrive_ms, device, landing=True)
            index += rng.randint(1, 10)
            if index >= len(sim.days):
                return
            at = max(sim.session_ms(rng, index), self.last_ms + 60_000)
        t = self.open_app(at, device)
        t = self.view(t, device, public=True, landing=invite is None and not self._pages, invite=invite)
        t = self.sign_up(self.gap(t), device, invite)
        if self.user_id is None:
            return
        t = self.onboard(t, device)
        self.retain(sim.day_of(at))

    def visit(self, at: int, device: Device, *, landing: bool) -> None:
        t = self.open_app(at, device)
        t = self.view(t, device, public=True, landing=landing)
        for _ in range(poisson(self.rng, 1.4)):
            t = self.view(self.gap(t), device, public=True)

    def sign_up(self, t: int, device: Device, invite: Invite | None) -> int:
        rng = self.rng
        if device.platform == "web":
            t = self.view(t, device, public=True, path=("/signup", "Sign Up"))
        user_id = f"usr_{rng.getrandbits(48):012x}"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}{rng.randrange(10, 100)}@example.com".lower()
        self.kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        if rng.random() < SECOND_DEVICE:
            self.second_device_week = rng.randint(1, 4)
        t = self.gap(t)
        if t >= self.sim.end_ms:
            return t
        self.user_id = user_id
        self._logged_in.add(device.anonymous_id)
        traits = {"email": email, "name": f"{first} {last}", "plan": "free", "signup_source": self.source}
        self.emit(t, device, "identify", traits=traits)
        t += rng.randint(150, 900)
        method = rng.choices(("email", "google", "apple"), (50, 35, 15))[0]
        self.emit(t, device, "track", "Signed Up", {"method": method, "signup_source": self.source,
                                                    "platform": device.platform})
        if invite is not None:
            t += rng.randint(150, 900)
            self.emit(t, device, "track", "Invite Accepted", {"inviter_id": invite.inviter_id,
                                                              "invite_id": invite.invite_id})
        return t

    def onboard(self, t: int, device: Device) -> int:
        rng, sim = self.rng, self.sim
        completed = 0
        for step, (name, chance) in enumerate(zip(cat.ONBOARDING_STEPS, cat.ONBOARDING_SUCCESS, strict=True), 1):
            t = self.gap(t)
            if step == 3:
                chance = sim.calendar.step3_success(sim.days[min(sim.day_of(t), len(sim.days) - 1)],
                                                    device.platform, chance)
            if rng.random() >= chance:
                break
            if device.platform == "web":
                t = self.view(t, device, public=False, path=(f"/onboarding/{step}", "Onboarding"))
            self.emit(t, device, "track", "Onboarding Step Completed",
                      {"step": step, "step_name": name, "total_steps": len(cat.ONBOARDING_STEPS)})
            completed = step
        if completed == len(cat.ONBOARDING_STEPS) and rng.random() < ACTIVATE_AFTER_ONBOARDING:
            t = self.activate(self.gap(t), device, week=0)
        return t

    def retain(self, signup_index: int) -> None:
        rng, sim = self.rng, self.sim
        n = len(sim.days)
        week = 0
        while signup_index + 7 * week < n:
            if week >= 1:
                hazard = WEEKLY_HAZARD[self.kind] if self.activated else NOT_ACTIVATED_HAZARD
                if rng.random() < hazard:
                    self.drift_away()
                    return
                if rng.random() >= ACTIVE_WEEK:
                    week += 1
                    continue
            rate = SESSIONS_PER_WEEK[self.kind] * (1.0 if self.activated else 0.6)
            count = poisson(rng, rate * 0.6) if week == 0 else max(1, poisson(rng, rate))
            first = signup_index + 7 * week + (1 if week == 0 else 0)
            days = _weighted_days(first, min(signup_index + 7 * week + 7, n), sim.days, rng, count)
            for position, day in enumerate(days):
                at = max(sim.session_ms(rng, day), self.last_ms + 60_000)
                self.session(at, week, first_of_week=position == 0)
            week += 1

    def session(self, at: int, week: int, *, first_of_week: bool) -> None:
        rng = self.rng
        device = self.pick_device(week)
        t = self.open_app(at, device)
        if device.anonymous_id not in self._logged_in:
            t = self.sign_in(self.view(t, device, public=True), device)
        t = self.view(t, device, public=False)
        for _ in range(rng.randint(0, 2)):
            t = self.view(self.gap(t), device, public=False)
        if not self.activated and rng.random() < ACTIVATE_IN_SESSION:
            t = self.activate(self.gap(t), device, week)
        if first_of_week and self.plan is None and self.subscribe_week is not None and week >= self.subscribe_week:
            t = self.subscribe(self.gap(t), device)
        self.use_features(t, device)

    def use_features(self, t: int, device: Device) -> None:
        rng = self.rng
        for _ in range(poisson(rng, 1.7)):
            slug, cuisine = rng.choice(cat.RECIPES)
            if rng.random() < 0.5:
                cuisine = rng.choices(cat.CUISINES, cat.CUISINE_WEIGHTS)[0]
                slug = f"{cuisine}-{rng.getrandbits(24):06x}"
            t = self.gap(t)
            recipe = {"recipe_id": slug, "cuisine": cuisine}
            self.emit(t, device, "track", "Recipe Generated",
                      {**recipe, "servings": rng.choice((2, 2, 4, 4, 6)), "cook_minutes": rng.randrange(15, 75, 5)})
            if rng.random() < 0.35:
                t = self.gap(t)
                self.emit(t, device, "track", "Recipe Saved", recipe)
        planned = self.activated and rng.random() < 0.3
        if planned:
            t = self.gap(t)
            self.emit(t, device, "track", "Meal Plan Created", self.meal_plan(t, first=False))
        if rng.random() < (0.35 if planned else 0.06):
            t = self.gap(t)
            target = rng.choices(cat.EXPORT_TARGETS, cat.EXPORT_TARGET_WEIGHTS)[0]
            self.emit(t, device, "track", "Shopping List Exported", {"items": rng.randint(6, 28), "target": target})
        if device.platform != "web" and rng.random() < 0.15:
            t = self.gap(t)
            self.emit(t, device, "track", "Pantry Scanned", {"items_detected": rng.randint(3, 24)})
        day = self.sim.days[min(self.sim.day_of(t), len(self.sim.days) - 1)]
        if rng.random() < INVITE_PER_SESSION * self.sim.calendar.invite_multiplier(day):
            t = self.gap(t)
            invite_id = f"inv_{rng.getrandbits(40):010x}"
            channel = rng.choices(cat.INVITE_CHANNELS, cat.INVITE_CHANNEL_WEIGHTS)[0]
            if self.emit(t, device, "track", "Invite Sent", {"invite_id": invite_id, "channel": channel}) \
                    and rng.random() < INVITE_ACCEPTED and self.user_id is not None:
                delay = max(600_000, int(rng.expovariate(1.0 / INVITE_ACCEPT_DAYS) * DAY_MS))
                self.sim.schedule_invitee(Invite(self.user_id, invite_id, t + delay))

    # -- steps -----------------------------------------------------------------------------------

    def activate(self, t: int, device: Device, week: int) -> int:
        self.emit(t, device, "track", "Meal Plan Created", self.meal_plan(t, first=True))
        self.activated = True
        if self.rng.random() < SUBSCRIBE[self.kind]:
            self.subscribe_week = week + self.rng.randint(1, 2)
        return t

    def subscribe(self, t: int, device: Device) -> int:
        rng = self.rng
        self.plan = rng.choices(cat.PLANS, cat.PLAN_WEIGHTS)[0]
        plan, mrr = self.plan
        self.emit(t, device, "track", "Subscription Started", {"plan": plan, "mrr": mrr, "currency": "USD"})
        t += rng.randint(150, 900)
        self.emit(t, device, "identify", traits={"plan": plan})
        return t

    def drift_away(self) -> None:
        """The user stops coming back; a subscriber usually cancels within the week."""
        rng = self.rng
        if self.plan is None or rng.random() >= CANCEL_ON_CHURN:
            return
        device = self.devices[-1]
        plan, mrr = self.plan
        t = self.last_ms + rng.randrange(DAY_MS // 2, 7 * DAY_MS)
        t = self.open_app(t, device)
        reason = rng.choice(cat.CANCEL_REASONS)
        self.emit(self.gap(t), device, "track", "Subscription Cancelled", {"plan": plan, "mrr": mrr, "reason": reason})
        self.emit(self.last_ms + rng.randint(150, 900), device, "identify", traits={"plan": "free"})
        self.plan = None

    def sign_in(self, t: int, device: Device) -> int:
        """A second device: the user logs in, linked by ``identify`` (or, on a few, by ``alias``)."""
        t = self.gap(t)
        self._logged_in.add(device.anonymous_id)
        if self.rng.random() < ALIAS_ON_SECOND_DEVICE:
            self.emit(t, device, "alias", previous_id=device.anonymous_id)
        else:
            self.emit(t, device, "identify", traits={"plan": self.plan[0] if self.plan else "free"})
        t += self.rng.randint(150, 900)
        self.emit(t, device, "track", "Signed In", {"method": "email"})
        return t

    def pick_device(self, week: int) -> Device:
        rng = self.rng
        if len(self.devices) == 1 and self.second_device_week is not None and week >= self.second_device_week:
            first = self.devices[0].platform
            platform = "web" if first != "web" else rng.choices(("ios", "android"), (55, 45))[0]
            self.devices.append(new_device(rng, platform, self.locale))
            return self.devices[1]
        if len(self.devices) == 2 and rng.random() < 0.45:
            return self.devices[1]
        return self.devices[0]

    def open_app(self, at: int, device: Device) -> int:
        """Mobile SDKs track the first launch (``Application Installed``) and every launch."""
        if device.platform == "web":
            return at
        if not device.installed:
            device.installed = True
            self.emit(at, device, "track", "Application Installed", {})
            at += self.rng.randint(300, 2000)
        self.emit(at, device, "track", "Application Opened", {"from_background": self.rng.random() < 0.4})
        return at

    def view(self, t: int, device: Device, *, public: bool, landing: bool = False,
             path: tuple[str, str] | None = None, invite: Invite | None = None) -> int:
        """A page view (web) or a screen view (apps)."""
        rng = self.rng
        if device.platform != "web":
            names = cat.PUBLIC_SCREENS if public else cat.APP_SCREENS
            self.emit(t, device, "screen", rng.choice(names), {})
            return t
        referrer, search = "", ""
        previous = self._pages.get(device.anonymous_id)
        if previous is not None:
            referrer = previous["url"]
        elif landing:
            referrer, search = cat.REFERRERS.get(self.source, ("", ""))
        if path is None and invite is not None:
            path = (f"/invite/{invite.invite_id}", "You're Invited")
        if path is None:
            if public and rng.random() < 0.35:
                slug, _ = rng.choice(cat.RECIPES)
                path = (f"/recipes/{slug}", slug.replace("-", " ").title())
            elif landing:
                path = ("/", "Home")
            else:
                path = rng.choice(cat.PUBLIC_PAGES if public else cat.APP_PAGES)
        page = page_properties(path[0], path[1], referrer, search)
        self._pages[device.anonymous_id] = page
        self.emit(t, device, "page", path[1], page)
        return t

    def meal_plan(self, t: int, *, first: bool) -> dict[str, Any]:
        rng = self.rng
        return {"meal_plan_id": f"mp_{rng.getrandbits(40):010x}", "meals": rng.randint(3, 7),
                "servings": rng.choice((2, 2, 4, 4, 6)), "first_plan": first}

    # -- recording -------------------------------------------------------------------------------

    def gap(self, t: int) -> int:
        """Time to the next call within a session."""
        return t + self.rng.randint(4_000, 75_000)

    def emit(self, at: int, device: Device, type_: str, name: str | None = None,
             properties: dict[str, Any] | None = None, *, traits: dict[str, Any] | None = None,
             previous_id: str | None = None) -> bool:
        """Record a call; calls after the range's end are dropped (False)."""
        sim = self.sim
        if at >= sim.end_ms:
            return False
        user_id = self.user_id if device.anonymous_id in self._logged_in else None
        page = self._pages.get(device.anonymous_id) if device.platform == "web" else None
        sim.actions.append(Action(at, self.number, self.seq, sim.day_of(at), type_, device, user_id, name,
                                  properties, traits, previous_id, page))
        self.seq += 1
        self.last_ms = max(self.last_ms, at)
        return True


def _weighted_days(first: int, last_exclusive: int, days: list[date], rng: random.Random, k: int) -> list[int]:
    """``k`` day indexes in ``[first, last_exclusive)`` drawn with the weekday factors (repeats allowed)."""
    candidates = range(first, last_exclusive)
    if k <= 0 or not candidates:
        return []
    weights = [cat.WEEKDAY_FACTORS[days[i].weekday()] for i in candidates]
    return sorted(rng.choices(candidates, weights, k=k))
