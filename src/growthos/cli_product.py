"""`growthos product ...`: product analytics on the collected events, as tables or --json (the same JSON as
/api/product/*). Each command parses its options, calls one function of growthos.metrics.product, renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from growthos.cli import _errors, _print_json, _settings, out
from growthos.config import Settings
from growthos.core.errors import InvalidInput
from growthos.core.periods import parse_duration, resolve_range
from growthos.warehouse.engine import Engine

product_app = typer.Typer(help="Product analytics on collected events: trends, funnels, retention, people.",
                          no_args_is_help=True)

From = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
To = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")]
Preset = Annotated[str | None, typer.Option("--range", help="7d, 14d, 30d, 90d or 180d (default 30d).")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@dataclass(frozen=True)
class _Context:
    """What a query needs besides its own options: the settings, the range, the zone and the workspace's now."""

    settings: Settings
    start: date
    end: date
    tz: str
    now: datetime


def _run(query: Callable[[Engine, _Context], Any], start: str | None = None, end: str | None = None,
         preset: str | None = None) -> Any:
    """query(engine, context) on the workspace's warehouse."""
    from growthos.workspace import Workspace

    settings = _settings()
    rng = resolve_range(start, end, preset, settings.today())
    with Workspace(settings) as ws:
        return query(ws.engine, _Context(settings, rng.start, rng.end, settings.timezone, settings.now()))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


@product_app.command("trends")
def trends_cmd(
    events: Annotated[list[str], typer.Argument(help="Track event names.")],
    interval: Annotated[str, typer.Option(help="day, week or month.")] = "day",
    breakdown: Annotated[str | None, typer.Option(help="Break down by this event property.")] = None,
    start: From = None, end: To = None, preset: Preset = None, as_json: Json = False,
) -> None:
    """Events and distinct people per interval."""
    from growthos.metrics.product import trends

    with _errors():
        result = _run(lambda engine, c: trends(engine, events=events, start=c.start, end=c.end, interval=interval,
                                               tz=c.tz, breakdown=breakdown), start, end, preset).to_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Trends by {result['interval']}, {result['start']} – {result['end']}")
    table.add_column("bucket")
    for series in result["series"]:
        label = series["event"] if series["value"] is None else f"{series['event']} · {series['value']}"
        table.add_column(f"{label}\nevents / people", justify="right")
    buckets = [p["bucket"] for p in result["series"][0]["points"]] if result["series"] else []
    for i, bucket in enumerate(buckets):
        table.add_row(bucket, *[f"{s['points'][i]['events']:,} / {s['points'][i]['people']:,}"
                                for s in result["series"]])
    out.print(table)


@product_app.command("active")
def active_cmd(start: From = None, end: To = None, preset: Preset = None, as_json: Json = False) -> None:
    """DAU, WAU and MAU for every day."""
    from growthos.metrics.product import active_users

    with _errors():
        result = _run(lambda engine, c: active_users(engine, start=c.start, end=c.end, tz=c.tz),
                      start, end, preset).to_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Active people, {result['start']} – {result['end']}")
    for column in ("day", "DAU", "WAU", "MAU", "DAU/MAU"):
        table.add_column(column, justify="right")
    for day in result["days"]:
        table.add_row(day["day"], f"{day['dau']:,}", f"{day['wau']:,}", f"{day['mau']:,}", _percent(day["dau_mau"]))
    out.print(table)


def _step_options(count: int, within: list[str], where: list[str]) -> tuple[list[Any], list[Any]]:
    """Per-step windows ('N=DURATION') and filters ('N:key=value') by 1-based step number."""
    windows: dict[int, Any] = {}
    filters: dict[int, dict[str, str]] = {}

    def step_number(text: str, option: str) -> int:
        if not text.strip().isdigit() or not 1 <= int(text) <= count:
            raise InvalidInput(f"{option} must start with a step number 1..{count}, got {text!r}", field=option)
        return int(text)

    for item in within:
        number, _, duration = item.partition("=")
        windows[step_number(number, "within")] = parse_duration(duration, "within")
    for item in where:
        number, _, condition = item.partition(":")
        key, sep, value = condition.partition("=")
        if not sep or not key:
            raise InvalidInput(f"where must look like 2:key=value, got {item!r}", field="where")
        filters.setdefault(step_number(number, "where"), {})[key] = value
    return ([windows.get(k) for k in range(1, count + 1)], [filters.get(k) for k in range(1, count + 1)])


def _exclusion(text: str, exclusion_type: Any) -> Any:
    event, _, span = text.rpartition(":")
    after, _, before = span.partition("-")
    if not event or not after.isdigit() or (before and not before.isdigit()):
        raise InvalidInput(f"exclude must look like 'EVENT:AFTER' or 'EVENT:AFTER-BEFORE', got {text!r}",
                           field="exclude")
    return exclusion_type(event, int(after), int(before) if before else None)


@product_app.command("funnel")
def funnel_cmd(
    steps: Annotated[list[str], typer.Argument(help="Track event names of the steps, in order (2 to 20).")],
    window: Annotated[str, typer.Option(help="Conversion window from the first step: 30m, 12h, 7d, 2w.")] = "7d",
    within: Annotated[list[str], typer.Option(help="A step's own window from the previous step, e.g. 3=1h.")]
    = [],  # noqa: B006 - typer reads the default
    where: Annotated[list[str], typer.Option(help="Keep a step's events whose property equals, e.g. 2:step=goals.")]
    = [],  # noqa: B006
    exclude: Annotated[list[str], typer.Option(help="Disqualify people who do EVENT between steps: EVENT:1-2.")]
    = [],  # noqa: B006
    breakdown: Annotated[str | None, typer.Option(help="Break down by a property of the entry event.")] = None,
    start: From = None, end: To = None, preset: Preset = None, as_json: Json = False,
) -> None:
    """People through ordered steps; people whose window is still open are shown apart."""
    from growthos.metrics.product import Exclusion, FunnelStep, funnel

    with _errors():
        windows, filters = _step_options(len(steps), within, where)
        funnel_steps = [FunnelStep(event, windows[i], filters[i]) for i, event in enumerate(steps)]
        exclusions = [_exclusion(text, Exclusion) for text in exclude]
        duration = parse_duration(window, "window")
        result = _run(lambda engine, c: funnel(engine, steps=funnel_steps, window=duration, start=c.start,
                                               end=c.end, tz=c.tz, as_of=c.now, exclusions=exclusions,
                                               breakdown=breakdown), start, end, preset).to_dict()
    if as_json:
        _print_json(result)
        return
    for group in [result["total"], *result["groups"]]:
        name = "All people" if group["value"] is None else f"{result['breakdown']} = {group['value']}"
        table = Table(title=f"{name}: {group['entered']:,} entered {result['start']} – {result['end']}, "
                            f"{group['in_progress']:,} in progress, {group['excluded']:,} excluded")
        for column in ("step", "event", "people", "from previous", "from first", "median time"):
            table.add_column(column, justify="right" if column not in ("event",) else "left")
        for step in group["steps"]:
            table.add_row(str(step["step"]), step["event"], f"{step['people']:,}",
                          _percent(step["conversion_from_previous"]), _percent(step["conversion_from_first"]),
                          _duration(step["median_seconds_from_previous"]))
        out.print(table)


@product_app.command("retention")
def retention_cmd(
    start_event: Annotated[str, typer.Argument(help="The event that puts a person in a cohort.")],
    return_event: Annotated[str, typer.Argument(help="The event that counts as coming back.")],
    interval: Annotated[str, typer.Option(help="day or week.")] = "week",
    periods: Annotated[int, typer.Option(help="Periods after the cohort's own.")] = 8,
    start: From = None, end: To = None, preset: Preset = None, as_json: Json = False,
) -> None:
    """Cohorts of a first event and the share of each that returns in each later day or week."""
    from growthos.metrics.product import retention

    with _errors():
        result = _run(lambda engine, c: retention(engine, start_event=start_event, return_event=return_event,
                                                  interval=interval, periods=periods, start=c.start, end=c.end,
                                                  tz=c.tz, as_of=c.now), start, end, preset).to_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Retention: {start_event} → {return_event}, by {interval}")
    table.add_column("cohort")
    table.add_column("people", justify="right")
    for k in range(1, periods + 1):
        table.add_column(f"{interval[0]}{k}", justify="right")
    for cohort in [*result["cohorts"], {**result["overall"], "cohort": "all"}]:
        table.add_row(str(cohort["cohort"]), f"{cohort['size']:,}", *[_percent(p["rate"]) for p in cohort["periods"]])
    out.print(table)


@product_app.command("stickiness")
def stickiness_cmd(
    interval: Annotated[str, typer.Option(help="week or month.")] = "week",
    event: Annotated[str | None, typer.Option(help="Count only this track event as activity.")] = None,
    start: From = None, end: To = None, preset: Preset = None, as_json: Json = False,
) -> None:
    """How many days of each week or month people were active."""
    from growthos.metrics.product import stickiness

    with _errors():
        result = _run(lambda engine, c: stickiness(engine, start=c.start, end=c.end, tz=c.tz, interval=interval,
                                                   event=event), start, end, preset).to_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Stickiness by {interval} (average DAU/MAU {_percent(result['average_dau_mau'])})")
    for column in ("bucket", "days", "people", "avg daily active", "stickiness", "active on 1, 2, … days"):
        table.add_column(column, justify="right")
    for b in result["buckets"]:
        table.add_row(b["bucket"], str(b["days"]), f"{b['people']:,}", f"{b['avg_daily_active']:.1f}",
                      _percent(b["stickiness"]), " ".join(str(n) for n in b["active_days"]))
    out.print(table)


@product_app.command("features")
def features_cmd(
    events: Annotated[list[str] | None, typer.Argument(help="Events to measure, each a feature (default: the "
                                                       "workspace's product_features, else the top 20 events).")]
    = None,
    start: From = None, end: To = None, preset: Preset = None, as_json: Json = False,
) -> None:
    """Users, adoption and repeat use of each feature."""
    from growthos.metrics.product import feature_usage
    from growthos.metrics.product.features import chosen_features

    def query(engine, c):
        features = chosen_features(engine, events=events, configured=c.settings.product_features, start=c.start,
                                   end=c.end, tz=c.tz)
        if not features:
            raise InvalidInput("no track events in this range: nothing to measure", field="events")
        return feature_usage(engine, features=features, start=c.start, end=c.end, tz=c.tz)

    with _errors():
        result = _run(query, start, end, preset).to_dict()
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"Feature usage of {result['active']:,} active people, {result['start']} – {result['end']}")
    for column in ("feature", "users", "adoption", "events", "repeat users"):
        table.add_column(column, justify="left" if column == "feature" else "right")
    for f in result["features"]:
        table.add_row(f["feature"], f"{f['users']:,}", _percent(f["adoption"]), f"{f['event_count']:,}",
                      f"{f['repeat_users']:,}")
    out.print(table)


@product_app.command("users")
def users_cmd(
    query: Annotated[str, typer.Argument(help="Start of an id or an email.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    as_json: Json = False,
) -> None:
    """Find people by id or email."""
    from growthos.metrics.product import find_users

    with _errors():
        matches = [m.to_dict() for m in _run(lambda engine, c: find_users(engine, query, limit))]
    if as_json:
        _print_json({"query": query, "users": matches})
        return
    table = Table(title=f"People matching {query!r}")
    for column in ("person", "email", "ids", "first seen", "last seen", "events"):
        table.add_column(column)
    for m in matches:
        table.add_row(m["person_id"], m["email"] or "", ", ".join(m["ids"]), (m["first_seen"] or "")[:19],
                      (m["last_seen"] or "")[:19], f"{m['events']:,}")
    out.print(table)


@product_app.command("user")
def user_cmd(
    user: Annotated[str, typer.Argument(help="Any id of the person: user id, anonymous id or alias.")],
    as_json: Json = False,
) -> None:
    """One person's profile: ids, first and last seen, events, features used, traits."""
    from growthos.metrics.product import user_profile

    with _errors():
        profile = _run(lambda engine, c: user_profile(engine, user)).to_dict()
    if as_json:
        _print_json(profile)
        return
    out.print(f"[bold]{profile['person_id']}[/bold]  ids: {', '.join(profile['ids'])}")
    out.print(f"first seen {profile['first_seen']}, last seen {profile['last_seen']}, "
              f"{profile['total_events']:,} events")
    out.print(f"features used: {', '.join(profile['features_used']) or '—'}")
    for key, value in profile["traits"].items():
        out.print(f"  {key}: {value}")
    table = Table(title="Recent events")
    for column in ("time (UTC)", "type", "name"):
        table.add_column(column)
    for e in profile["recent_events"]:
        table.add_row(e["timestamp"][:19], e["type"], e["name"] or "")
    out.print(table)
