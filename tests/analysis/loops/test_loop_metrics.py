"""Executions and metrics of the hand-built invite loop (invite_fixture.py has the arithmetic), assembled from
plain events and, on every engine, from events stored through the collector and read from events_people."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fixtures.events import track, write
from invite_fixture import AS_OF, EVENTS, LOOP, NY

from growthos.analysis.loops.bottlenecks import bottlenecks
from growthos.analysis.loops.executions import LoopEvent, active_people, assemble, read_loop_events
from growthos.analysis.loops.metrics import efficiency, loop_metrics
from growthos.analysis.loops.parse import parse_loop

LO = datetime(2024, 5, 6, tzinfo=NY)
HI = datetime(2024, 5, 13, tzinfo=NY)


def plain_events() -> list[LoopEvent]:
    return [LoopEvent(person, name, at, f"e{i}", props) for i, (person, name, at, props) in enumerate(EVENTS)]


def check_invite_answers(executions, active: int) -> None:
    by_invite = {x.reached[0].person_id + ":" + str(x.started_at): x for x in executions}
    assert len(by_invite) == 5
    metrics = loop_metrics(LOOP, executions, active)
    assert (metrics.starts, metrics.in_progress, metrics.completions) == (5, 1, 2)
    assert metrics.completion_rate == pytest.approx(0.5)
    assert [s.reached for s in metrics.steps] == [5, 3, 3, 2]
    assert [s.entered for s in metrics.steps] == [5, 4, 3, 3]
    assert [s.converted for s in metrics.steps] == [5, 3, 3, 2]
    assert [s.conversion for s in metrics.steps] == [None, pytest.approx(0.75), pytest.approx(1.0),
                                                     pytest.approx(2 / 3)]
    assert [s.bottleneck for s in metrics.steps] == [False, False, False, True]
    assert metrics.avg_cycle_time_s == metrics.median_cycle_time_s == pytest.approx(183_600)
    assert (metrics.returns, metrics.return_rate) == (1, pytest.approx(0.5))
    assert metrics.active_people == 6
    assert metrics.invites_per_user == pytest.approx(5 / 6)
    assert metrics.invite_conversion == pytest.approx(0.75)
    assert metrics.k_factor == pytest.approx(0.625)
    assert metrics.value_total == pytest.approx(9.99)
    assert metrics.loop_value == pytest.approx(4.995)
    assert metrics.efficiency == pytest.approx(79.4)
    found = bottlenecks(LOOP, metrics, executions)
    assert [b.step for b in found] == ["meal_plan"]
    assert found[0].extra_completions == pytest.approx(0.1)
    assert found[0].causes == ()  # segments of fewer than 10 cycles are not causes
    assert "invite" in found[0].recommendations[-1].lower()


def test_assembled_from_plain_events() -> None:
    executions = assemble(LOOP, plain_events(), LO, HI, AS_OF)
    check_invite_answers(executions, active=6)
    first = min(executions, key=lambda x: x.started_at)
    assert [r.person_id for r in first.reached] == ["a", "b", "b", "b"]  # b took the cycle over on accepting
    assert first.completed and first.returned and first.value == pytest.approx(9.99)
    assert first.cycle_time_s == pytest.approx(2 * 86_400)
    open_cycle = max(executions, key=lambda x: x.started_at)
    assert open_cycle.in_progress and not open_cycle.completed


def test_read_from_events_people(engine) -> None:
    write(engine, [track(name, at, user=person, props=props) for person, name, at, props in EVENTS])
    events = read_loop_events(engine, LOOP, LO, AS_OF)
    assert len(events) == 16  # all 16 are step or value events of [05-06 00:00, 05-14 00:00)
    signed_up = next(e for e in events if e.person_id == "b" and e.event == "Signed Up")
    assert signed_up.dims["platform"] == "ios"  # from the event's platform property (no context.os)
    check_invite_answers(assemble(LOOP, events, LO, HI, AS_OF), active=active_people(engine, LO, HI))


def test_the_same_event_advances_one_cycle_only() -> None:
    """Two recipes generated, one saved (recipe r1): only r1's cycle reaches the save, once."""
    loop = parse_loop({"name": "content", "type": "content", "steps": [
        {"name": "generated", "event": "Recipe Generated"},
        {"name": "saved", "event": "Recipe Saved", "match": ["recipe_id"]},
        {"name": "planned", "event": "Meal Plan Created"}]})
    t = LO + timedelta(hours=12)
    events = [LoopEvent("p", "Recipe Generated", t, "1", {"recipe_id": "r1"}),
              LoopEvent("p", "Recipe Generated", t + timedelta(minutes=1), "2", {"recipe_id": "r2"}),
              LoopEvent("p", "Recipe Saved", t + timedelta(minutes=2), "3", {"recipe_id": "r1"}),
              LoopEvent("p", "Meal Plan Created", t + timedelta(minutes=3), "4", {})]
    executions = assemble(loop, events, LO, HI, LO + timedelta(days=30))
    assert [len(x.reached) for x in executions] == [3, 1]  # r1: all three steps; r2 never saved
    m = loop_metrics(loop, executions)
    assert (m.completions, m.completion_rate, m.k_factor) == (1, 0.5, None)  # not viral: no K


def test_likely_causes_from_a_platform_breakdown() -> None:
    """20 generated recipes: 10 on ios (2 saved), 10 on android (8 saved). Saved overall 10/20 = 50% < 60%.
    ios: 20% against the rest (android) 80% → lost 10 × 0.6 = 6 cycles; android converts better: no cause."""
    loop = parse_loop({"name": "content", "type": "content", "steps": [
        {"name": "generated", "event": "Recipe Generated"},
        {"name": "saved", "event": "Recipe Saved", "match": ["recipe_id"]}]})
    t = LO + timedelta(hours=12)
    events = []
    for i in range(20):
        platform = "ios" if i < 10 else "android"
        dims = {"platform": platform, "app_version": "3.1.0", "source": None}
        events.append(LoopEvent(f"p{i}", "Recipe Generated", t, f"g{i}", {"recipe_id": f"r{i}"}, dims))
        if (platform == "ios" and i < 2) or (platform == "android" and i < 18):
            events.append(LoopEvent(f"p{i}", "Recipe Saved", t + timedelta(minutes=5), f"s{i}", {"recipe_id": f"r{i}"}))
    executions = assemble(loop, events, LO, HI, LO + timedelta(days=60))
    metrics = loop_metrics(loop, executions)
    assert metrics.steps[1].conversion == pytest.approx(0.5)
    (found,) = bottlenecks(loop, metrics, executions)
    assert [(c.dimension, c.value, c.entered) for c in found.causes] == [("platform", "ios", 10)]
    cause = found.causes[0]
    assert (cause.conversion, cause.rest_conversion, cause.lost) == (0.2, 0.8, 6.0)
    assert found.extra_completions == pytest.approx(10 * (0.6 / 0.5 - 1))  # 2 more saves at 60%
    assert "ios" in found.recommendations[0]


def test_efficiency_formula() -> None:
    # 100 × 0.25^(1/2) × min(1, 1 day / 2 days) = 100 × 0.5 × 0.5 = 25
    assert efficiency(0.25, 3, 2 * 86_400, 86_400) == 25.0
    assert efficiency(1.0, 2, None, 86_400) == 100.0
    assert efficiency(None, 3, None, 86_400) is None
