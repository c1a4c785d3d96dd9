"""The same answers on both engines: every model, the KPI catalogue, funnels, retention, trends and the other
product questions, on the demo and on a ×10 dataset (commerce generated at scale 10; the app's events copied
ten times under new ids, so product counts are exactly ten times the demo's — checked too).

Reference answers are taken on DuckDB first; then the Spark engine exports the raw layer and events to the
lake, builds every model there, and the DuckDB file serves Spark's marts through views. Both the Spark engine's
own answers and what the DuckDB file then serves must equal the reference."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.server import demo_workspace_settings
from support.spark import TEST_SPARK_CONF, TEST_SPARK_MASTER

from growthos.config import Settings
from growthos.core.periods import DateRange
from growthos.metrics.evaluate import breakdown, summary, timeseries
from growthos.metrics.product import (
    Exclusion,
    FunnelStep,
    active_users,
    event_counts,
    feature_usage,
    funnel,
    retention,
    stickiness,
    trends,
    user_profile,
)
from growthos.pipeline import build_and_check, demo_settings, load_records
from growthos.sources.collector.schema import ensure_events_tables
from growthos.sources.demo import generate
from growthos.warehouse.models import load_models
from growthos.workspace import Workspace

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _questions(settings: Settings, last_day: date, person: str) -> dict[str, Any]:
    """name → question(engine): what a dashboard user asks, on the last 30 and 90 days."""
    tz = settings.timezone
    d30 = DateRange(last_day - timedelta(days=29), last_day)
    d90 = DateRange(last_day - timedelta(days=89), last_day)
    as_of = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=UTC)
    steps = [FunnelStep("Signed Up"), FunnelStep("Onboarding Step Completed", within=timedelta(days=2)),
             FunnelStep("Meal Plan Created")]
    return {
        "kpis 30d": lambda e: summary(e, d30, last_day),
        "kpis 90d by channel": lambda e: breakdown(e, d90, "channel", last_day),
        "kpis 30d by campaign": lambda e: breakdown(e, d30, "campaign", last_day),
        "kpis 90d by segment": lambda e: breakdown(e, d90, "segment", last_day),
        "kpis daily": lambda e: timeseries(e, d30, last_day, interval="day"),
        "kpis weekly": lambda e: timeseries(e, d90, last_day, interval="week"),
        "trends daily": lambda e: trends(e, events=["Recipe Generated", "Application Opened"], start=d30.start,
                                         end=d30.end, interval="day", tz=tz).to_dict(),
        "trends weekly by cuisine": lambda e: trends(e, events=["Recipe Generated"], start=d90.start, end=d90.end,
                                                      interval="week", tz=tz, breakdown="cuisine").to_dict(),
        "active users": lambda e: active_users(e, start=d30.start, end=d30.end, tz=tz).to_dict(),
        "funnel 7d": lambda e: funnel(e, steps=steps, window=timedelta(days=7), start=d90.start, end=d90.end,
                                      tz=tz, as_of=as_of).to_dict(),
        "funnel with exclusion": lambda e: funnel(
            e, steps=steps[:2], window=timedelta(days=3), start=d90.start, end=d90.end, tz=tz, as_of=as_of,
            exclusions=[Exclusion("Application Opened", after_step=1)]).to_dict(),
        "retention weekly": lambda e: retention(e, start_event="Signed Up", return_event="Recipe Generated",
                                                interval="week", periods=8, start=d90.start, end=d90.end, tz=tz,
                                                as_of=as_of).to_dict(),
        "retention daily": lambda e: retention(e, start_event="Application Installed",
                                               return_event="Application Opened", interval="day", periods=14,
                                               start=d30.start, end=d30.end, tz=tz, as_of=as_of).to_dict(),
        "stickiness": lambda e: stickiness(e, start=d30.start, end=d30.end, tz=tz).to_dict(),
        "feature usage": lambda e: feature_usage(e, features={"planning": ["Meal Plan Created"],
                                                              "recipes": ["Recipe Generated", "Recipe Saved"]},
                                                 start=d30.start, end=d30.end, tz=tz).to_dict(),
        "event counts": lambda e: event_counts(e, since=as_of - timedelta(days=7), until=as_of),
        "user profile": lambda e: user_profile(e, person).to_dict(),
    }


def _norm(value: Any) -> Any:
    """Plain JSON-like values; floats (and decimals) rounded to 9 significant digits."""
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, Decimal | float):
        f = float(value)
        if math.isnan(f) or f == 0:
            return 0.0 if f == 0 else "nan"
        return float(f"{f:.9g}")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _table_rows(engine, name: str) -> list[tuple]:
    table = engine.query(f"SELECT * FROM {name}")
    rows = [tuple(_norm(v) for v in row.values()) for row in table.to_pylist()]
    return sorted(rows, key=repr)


def _copy_events_ten_times(settings_x10: Settings, settings_x1: Settings) -> None:
    """The demo's events and identities ten times, each copy under ids of its own (k = 0..9)."""
    with Workspace(settings_x10) as ws:
        engine = ws.engine
        ensure_events_tables(engine)
        engine.execute(f"ATTACH '{settings_x1.warehouse_path}' AS x1 (READ_ONLY)")
        tag = "CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '~' || k END"
        ids = {c: tag.format(c=c) for c in ("user_id", "anonymous_id", "distinct_id", "previous_id")}
        with engine.transaction():
            engine.execute(
                "INSERT INTO events SELECT unhex(md5(message_id || '~' || k)), message_id || '~' || k, type, event, "
                f"name, {ids['user_id']}, {ids['anonymous_id']}, {ids['distinct_id']}, group_id, "
                f"{ids['previous_id']}, \"timestamp\", original_timestamp, sent_at, received_at, properties, "
                "context, traits, extra, source, ingest_seq * 10 + k FROM x1.events, range(10) r(k)")
            engine.execute("INSERT INTO identity_map SELECT id || '~' || k, person_id || '~' || k, is_user, "
                           "first_seq * 10 + k FROM x1.identity_map, range(10) r(k)")
        engine.execute("DETACH x1")


@pytest.fixture(scope="module")
def demo_x1(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return demo_workspace_settings(tmp_path_factory.mktemp("spark-demo-x1"))


def _demo_x10(data_dir: Path, x1: Settings) -> Settings:
    from growthos.config import load_settings

    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    settings = demo_settings(base).model_copy(update={"app_db_url": base.app_db_url, "engine": "duckdb",
                                                      "scheduler_enabled": False})
    with Workspace(settings) as ws:
        load_records(ws, generate(scale=10))
    _copy_events_ten_times(settings, x1)
    with Workspace(settings) as ws:
        build_and_check(ws)
    return settings


@pytest.fixture(scope="module", params=["demo", "demo x10"])
def answers(request, demo_x1: Settings, tmp_path_factory, spark_session) -> dict[str, Any]:
    """Reference answers on DuckDB, then the Spark build and the same questions on the Spark engine and on
    what the DuckDB file serves afterwards."""
    settings = demo_x1 if request.param == "demo" else _demo_x10(tmp_path_factory.mktemp("spark-demo-x10"), demo_x1)
    with Workspace(settings) as ws:
        last_day = ws.last_full_day
        person = ws.engine.query("SELECT person_id FROM events_people WHERE user_id IS NOT NULL "
                                 "ORDER BY person_id LIMIT 1").column(0)[0].as_py()
        questions = _questions(settings, last_day, person)
        reference = {
            "models": {m.name: _table_rows(ws.engine, m.name) for m in load_models()},
            "questions": {name: _norm(ask(ws.engine)) for name, ask in questions.items()},
        }
    spark_settings = settings.model_copy(update={"engine": "spark", "spark_master": TEST_SPARK_MASTER,
                                                 "spark_conf": TEST_SPARK_CONF})
    with Workspace(spark_settings) as ws:
        result = build_and_check(ws)
        on_spark = {
            "models": {m.name: _table_rows(ws.compute, m.name) for m in load_models()},
            "questions": {name: _norm(ask(ws.compute)) for name, ask in questions.items()},
            "checks": {c.name: c.status for c in result.checks},
        }
    with Workspace(settings) as ws:  # DuckDB again: serving Spark's marts
        served = {
            "models": {m.name: _table_rows(ws.engine, m.name) for m in load_models()},
            "questions": {name: _norm(ask(ws.engine)) for name, ask in questions.items()},
        }
    return {"name": request.param, "reference": reference, "spark": on_spark, "served": served}


MODELS = [m.name for m in load_models()]
QUESTIONS = sorted(_questions(Settings(), date(2026, 1, 1), "p"))


@pytest.mark.parametrize("model", MODELS)
def test_every_model_is_equal_on_spark(answers, model):
    reference = answers["reference"]["models"][model]
    assert answers["spark"]["models"][model] == reference
    assert answers["served"]["models"][model] == reference


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_question_is_answered_alike(answers, question):
    reference = answers["reference"]["questions"][question]
    assert answers["spark"]["questions"][question] == reference
    assert answers["served"]["questions"][question] == reference


def test_the_data_is_not_empty_and_checks_pass_on_spark(answers):
    models = answers["reference"]["models"]
    assert len(models["fact_orders"]) > (40_000 if answers["name"] == "demo x10" else 4_000)
    funnel_total = answers["reference"]["questions"]["funnel 7d"]["total"]
    assert funnel_total["entered"] > 0 and funnel_total["steps"][-1]["people"] > 0
    assert set(answers["spark"]["checks"].values()) <= {"pass", "warn"}


def test_ten_copies_of_the_events_give_ten_times_the_counts(answers, request):
    """An independent check of the ×10 dataset: people and events scale exactly by ten."""
    if answers["name"] != "demo x10":
        pytest.skip("the ×10 dataset's own check")
    x1 = request.getfixturevalue("demo_x1")
    with Workspace(x1) as ws:
        last_day = ws.last_full_day
        small = _norm(_questions(x1, last_day, "p")["trends daily"](ws.engine))
    big = answers["reference"]["questions"]["trends daily"]
    assert small["series"] and any(p["events"] for s in small["series"] for p in s["points"])
    for s_series, b_series in zip(small["series"], big["series"], strict=True):
        assert [10 * p["events"] for p in s_series["points"]] == [p["events"] for p in b_series["points"]]
        assert [10 * p["people"] for p in s_series["points"]] == [p["people"] for p in b_series["points"]]
