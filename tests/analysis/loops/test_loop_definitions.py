"""Loop definitions: parsing, defaults, round trips, and every refusal naming its field (and line in loops.yaml)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from growthos.analysis.loops.config import load_file_loops, parse_loops_yaml
from growthos.analysis.loops.demo import DEMO_LOOPS_YAML, write_demo_loops
from growthos.analysis.loops.parse import parse_loop
from growthos.core.errors import InvalidInput


def loop(**changes):
    base = {"name": "l", "type": "product", "steps": [
        {"name": "a", "event": "A"}, {"name": "b", "event": "B"}, {"name": "c", "event": "C"}]}
    base.update(changes)
    return base


def test_defaults_and_next_edges() -> None:
    parsed = parse_loop(loop())
    assert [s.next for s in parsed.steps] == [("b",), ("c",), ("a",)]  # the last step closes the loop
    assert parsed.closes and parsed.status == "active" and parsed.window == timedelta(days=14)
    assert parsed.bottleneck_below == 0.6 and parsed.steps[1].label == "B".lower().capitalize()


def test_round_trip_through_to_dict() -> None:
    data = loop(triggers=[{"name": "nudge", "event": "A", "where": {"channel": ["sms", "email"]},
                           "delay": "2d", "frequency": "every", "target_step": "b"}])
    data["steps"][1]["system_action"] = {"webhook": "https://hooks.example.com/x/secret", "headers": {"K": "v"}}
    parsed = parse_loop(data)
    again = parse_loop(parsed.to_dict(mask_urls=False))
    assert again == parsed
    shown = parsed.to_dict()["steps"][1]["system_action"]
    assert shown == {"webhook": "https://hooks.example.com/…", "headers": {"K": "••••"}}  # secrets masked
    assert parsed.triggers[0].delay == timedelta(days=2)
    assert parsed.triggers[0].where == (("channel", ("sms", "email")),)


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"type": "rocket"}, "type", "one of viral, content, paid, product"),
    ({"name": "Bad Name"}, "name", "lowercase"),
    ({"name": "actions"}, "name", "reserved"),
    ({"steps": [{"name": "a", "event": "A"}]}, "steps", "2 to 12"),
    ({"steps": [{"name": "a", "event": "A"}, {"name": "b", "event": "B", "next": ["zzz"]}]}, "steps[1].next[0]",
     "no step is named 'zzz'"),
    ({"steps": [{"name": "a", "event": "A"}, {"name": "b", "event": "B"}, {"name": "c", "event": "C",
                                                                          "next": ["b"]}]},
     "steps[2].next[0]", "may only go back to its first step"),
    ({"steps": [{"name": "a", "event": "A", "next": ["a", "b"]}, {"name": "b", "event": "B"}]},
     "steps[0].next[0]", "may only go back"),
    ({"steps": [{"name": "a", "event": "A", "next": []}, {"name": "b", "event": "B"}]}, "steps[0].next",
     "must include the following step 'b'"),
    ({"steps": [{"name": "a", "event": "A"}, {"name": "a", "event": "B"}]}, "steps[1].name", "used twice"),
    ({"steps": [{"name": "a", "event": "A"}, {"name": "b", "event": "B", "actor": "any"}]}, "steps[1].match",
     "required when actor is any"),
    ({"steps": [{"name": "a", "event": "A"}, {"name": "b", "event": "B", "after": "c"}]}, "steps[1].after",
     "earlier step"),
    ({"steps": [{"name": "a", "event": []}, {"name": "b", "event": "B"}]}, "steps[0].event", "event name"),
    ({"steps": [{"name": "a", "event": "A", "colour": 1}, {"name": "b", "event": "B"}]}, "steps[0].colour",
     "not a field"),
    ({"window": "soon"}, "window", "duration"),
    ({"bottleneck_below": 1.5}, "bottleneck_below", "(0, 1]"),
    ({"conversion_step": "zzz"}, "conversion_step", "must name a step"),
    ({"triggers": [{"name": "t", "event": "A", "target_step": "zzz"}]}, "triggers[0].target_step",
     "must name a step"),
    ({"triggers": [{"name": "t", "event": "A", "target_step": "b"}]}, "triggers[0].target_step",
     "no system_action"),
    ({"triggers": [{"name": "t", "event": "A", "target_step": "a", "delay": "-1d"}]}, "triggers[0].delay",
     "duration"),
])
def test_refusals_name_the_field(change, field, reason) -> None:
    data = loop(**change)
    data["steps"][0].setdefault("system_action", {"webhook": "https://example.com/h"})
    with pytest.raises(InvalidInput) as exc:
        parse_loop(data)
    assert exc.value.field == field
    assert reason in exc.value.message


def test_bad_webhook_url() -> None:
    data = loop()
    data["steps"][1]["system_action"] = {"webhook": "ftp://example.com"}
    with pytest.raises(InvalidInput) as exc:
        parse_loop(data)
    assert exc.value.field == "steps[1].system_action.webhook"


def test_yaml_errors_carry_field_and_line() -> None:
    text = ("loops:\n  - name: l\n    type: viral\n    steps:\n      - {name: a, event: A}\n"
            "      - {name: b, event: B,\n         next: [q]}\n")
    with pytest.raises(InvalidInput) as exc:
        parse_loops_yaml(text, "loops.yaml")
    assert exc.value.field == "loops[0].steps[1].next[0]"
    assert exc.value.message.startswith("loops.yaml line 7:")  # the line of the item q in next: [q]
    with pytest.raises(InvalidInput, match="line 3: .*used twice"):
        parse_loops_yaml("loops:\n  - {name: l, type: viral, steps: [{name: a, event: A}, {name: b, event: B}]}\n"
                         "  - {name: l, type: viral, steps: [{name: a, event: A}, {name: b, event: B}]}\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        parse_loops_yaml("loops: [\n")


def test_demo_loops_file(tmp_path) -> None:
    write_demo_loops(tmp_path)
    loops = {lp.name: lp for lp in load_file_loops(tmp_path)}
    assert [s.name for s in loops["invite"].steps] == ["invite_sent", "invite_accepted", "signed_up",
                                                      "meal_plan_created"]
    assert loops["invite"].type == "viral" and loops["invite"].closes
    assert loops["content"].steps[1].events == ("Recipe Saved", "Recipe Shared")
    (tmp_path / "loops.yaml").write_text("loops: []\n")
    write_demo_loops(tmp_path)  # an edited file is kept
    assert load_file_loops(tmp_path) == [] and DEMO_LOOPS_YAML.startswith("#")
