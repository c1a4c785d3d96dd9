"""/api/product/*: product analytics on the collected events — trends, active people, funnels, retention,
stickiness, feature usage and people. Dates are reporting days (from/to or range, as /api/metrics/*);
'now' is the workspace's (``Settings.now``), so windows still open at that instant are reported apart."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from growthos.core.periods import parse_duration
from growthos.metrics.product import (
    Exclusion,
    FunnelStep,
    active_users,
    feature_usage,
    find_users,
    funnel,
    retention,
    stickiness,
    trends,
    user_profile,
)
from growthos.metrics.product.features import chosen_features
from growthos.server.api.params import READ, READ_RESPONSES, Range, problem_response, requested_range, server_state

router = APIRouter(prefix="/product", tags=["product analytics"], dependencies=READ, responses=READ_RESPONSES)

EventList = Annotated[list[str], Query(description="Track event names; repeat the parameter for several.",
                                       examples=[["Meal Plan Created"]])]
Breakdown = Annotated[str | None, Query(description="Break down by this event property (1-64 of A-Z a-z 0-9 _ . $ -).",
                                        examples=["platform"])]


@router.get("/trends", summary="Events and distinct people per day, week or month, optionally per property value")
def product_trends(
    request: Request,
    rng: Range,
    events: EventList,
    interval: Annotated[Literal["day", "week", "month"], Query(description="Bucket size.")] = "day",
    breakdown: Breakdown = None,
    limit_breakdown: Annotated[int, Query(ge=1, le=100, description="Values kept apart; the rest are '(other)'.")]
    = 10,
) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return trends(engine, events=events, start=rng.start, end=rng.end, interval=interval,
                      tz=state.settings.timezone, breakdown=breakdown, limit_breakdown=limit_breakdown).to_dict()


@router.get("/active-users", summary="DAU, trailing-7-day WAU and trailing-30-day MAU for every day")
def product_active_users(request: Request, rng: Range) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return active_users(engine, start=rng.start, end=rng.end, tz=state.settings.timezone).to_dict()


Duration = Annotated[str, Field(min_length=2, max_length=8, description="30m, 12h, 7d or 2w.", examples=["7d"])]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=200, description="Track event name.")
    within: Duration | None = Field(default=None, description="At most this long after the previous step.")
    where: dict[str, str] | None = Field(default=None, description="Property equals text, for each pair.")


class ExclusionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=200)
    after_step: int = Field(ge=1, description="1-based step after which the event disqualifies.")
    before_step: int | None = Field(default=None, ge=1, description="Up to this step (default: the next one).")


class FunnelQuery(BaseModel):
    """A funnel definition and its range (from/to or range, as the GET routes' query parameters)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    steps: list[StepIn] = Field(min_length=2, max_length=20)
    window: Duration = "7d"
    exclusions: list[ExclusionIn] = Field(default_factory=list, max_length=20)
    breakdown: str | None = Field(default=None, max_length=64, description="Property of the entry event.")
    limit_breakdown: int = Field(default=10, ge=1, le=100)
    start: str | None = Field(default=None, alias="from", description="First day of entry, YYYY-MM-DD.")
    end: str | None = Field(default=None, alias="to", description="Last day of entry, YYYY-MM-DD.")
    range: str | None = Field(default=None, description="7d, 14d, 30d, 90d or 180d (instead of from/to).")


@router.post("/funnel", summary="People through ordered steps within a window; open windows reported apart",
             responses={403: problem_response("Wrong scope, or a session request without its CSRF token")})
def product_funnel(request: Request, query: FunnelQuery) -> dict[str, Any]:
    state = server_state(request)
    rng = requested_range(request, query.start, query.end, query.range)
    steps = [FunnelStep(s.event, None if s.within is None else parse_duration(s.within, f"steps[{i}].within"),
                        s.where) for i, s in enumerate(query.steps)]
    exclusions = [Exclusion(e.event, e.after_step, e.before_step) for e in query.exclusions]
    with state.reader() as engine:
        return funnel(engine, steps=steps, window=parse_duration(query.window, "window"), start=rng.start,
                      end=rng.end, tz=state.settings.timezone, as_of=state.settings.now(), exclusions=exclusions,
                      breakdown=query.breakdown, limit_breakdown=query.limit_breakdown).to_dict()


@router.get("/retention", summary="Cohorts of a first event and the share who return in each later day or week")
def product_retention(
    request: Request,
    rng: Range,
    start_event: Annotated[str, Query(min_length=1, max_length=200, description="Event that starts a cohort.",
                                      examples=["Signed Up"])],
    return_event: Annotated[str, Query(min_length=1, max_length=200, description="Event that counts as a return.",
                                       examples=["Application Opened"])],
    interval: Annotated[Literal["day", "week"], Query(description="Cohort and period size.")] = "week",
    periods: Annotated[int, Query(ge=1, le=366, description="Periods after the cohort's own.")] = 8,
) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return retention(engine, start_event=start_event, return_event=return_event, interval=interval,
                         periods=periods, start=rng.start, end=rng.end, tz=state.settings.timezone,
                         as_of=state.settings.now()).to_dict()


@router.get("/stickiness", summary="People active on 1..N days of each week or month, and DAU/MAU")
def product_stickiness(
    request: Request,
    rng: Range,
    interval: Annotated[Literal["week", "month"], Query(description="Bucket size.")] = "week",
    event: Annotated[str | None, Query(min_length=1, max_length=200,
                                       description="Count only this track event as activity.")] = None,
) -> dict[str, Any]:
    state = server_state(request)
    with state.reader() as engine:
        return stickiness(engine, start=rng.start, end=rng.end, tz=state.settings.timezone, interval=interval,
                          event=event).to_dict()


@router.get("/features", summary="Users, adoption and repeat use of each product feature")
def product_features(
    request: Request,
    rng: Range,
    events: Annotated[list[str] | None, Query(description="Treat each of these events as a feature (default: the "
                                              "workspace's product_features, else the 20 most frequent events).")]
    = None,
) -> dict[str, Any]:
    state = server_state(request)
    tz = state.settings.timezone
    with state.reader() as engine:
        features = chosen_features(engine, events=events, configured=state.settings.product_features,
                                   start=rng.start, end=rng.end, tz=tz)
        if not features:  # no track events in the range and none named: nothing to measure
            return {"start": rng.start.isoformat(), "end": rng.end.isoformat(), "tz": tz, "active": None,
                    "features": []}
        return feature_usage(engine, features=features, start=rng.start, end=rng.end, tz=tz).to_dict()


@router.get("/users", summary="People whose id or email starts with the query, most recently seen first")
def product_users(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Start of an id or an email.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    with server_state(request).reader() as engine:
        return {"query": q, "users": [match.to_dict() for match in find_users(engine, q, limit)]}


@router.get("/users/{user_id:path}", summary="The profile of the person any of whose ids this is",
            responses={404: problem_response("No person has this id")})
def product_user(request: Request, user_id: Annotated[str, Path(min_length=1, max_length=200)]) -> dict[str, Any]:
    with server_state(request).reader() as engine:
        return user_profile(engine, user_id).to_dict()
