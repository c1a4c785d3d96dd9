"""activation.yaml: definitions parsed into models (prerequisites first), defaults kept for what is left out, and
errors that name the field and its line."""

from __future__ import annotations

import pytest

from growthos.analysis.activation import DEFAULT_CONFIG, load_activation_config, parse_activation_config
from growthos.core.errors import InvalidInput

TEXT = """\
signup_event: Account Created
definitions:
  - name: shared
    event: Invite Sent
    prerequisites: [planned]
  - name: planned
    event: Meal Plan Created
    criteria: {where: {first_plan: true, meals: 5}, min_count: 2}
    weight: 3
    window_days: 10
    core: true
"""


def test_definitions_are_ordered_with_prerequisites_first_and_filters_become_text() -> None:
    config = parse_activation_config(TEXT, "activation.yaml")
    assert config.signup_event == "Account Created"
    assert [d.name for d in config.definitions] == ["planned", "shared"]
    planned = config.definitions[0]
    assert dict(planned.criteria.where) == {"first_plan": "true", "meals": "5"}  # as properties ->> gives them
    assert (planned.criteria.min_count, planned.weight, planned.window_days, planned.core) == (2, 3, 10, True)
    assert config.definitions[1].weight == 1.0 and config.definitions[1].window_days == 7
    assert config.onboarding == DEFAULT_CONFIG.onboarding


def test_missing_file_gives_the_defaults(tmp_path) -> None:
    config = load_activation_config(tmp_path)
    assert config is DEFAULT_CONFIG
    assert sum(d.weight for d in config.definitions) == 10
    assert [d.name for d in config.definitions if d.core] == ["first_meal_plan"]


@pytest.mark.parametrize(("text", "field", "line", "words"), [
    (TEXT.replace("window_days: 10", "window_days: 0"), "definitions[1].window_days", 10, "from 1 to 365"),
    (TEXT.replace("[planned]", "[nope]"), "definitions[0].prerequisites", 5, "not a definition"),
    (TEXT.replace("core: true", "core: yes please"), "definitions[1].core", 11, "true or false"),
    (TEXT.replace("    core: true\n", ""), "definitions", 2, "must be core"),
    (TEXT.replace("weight: 3", "wieght: 3"), "definitions[1].wieght", 9, "not a field"),
    (TEXT + "  - name: loop\n    event: X\n    prerequisites: [loop2]\n  - name: loop2\n    event: Y\n"
            "    prerequisites: [loop]\n", "definitions[2].prerequisites", 14, "cycle"),
    ("onboarding: {steps: [a, a]}\n", "onboarding.steps", 1, "twice"),
    ("definitions: [\n", "activation.yaml", None, "not valid YAML"),
])
def test_errors_name_the_field_and_line(text, field, line, words) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_activation_config(text, "activation.yaml")
    assert caught.value.field == field
    assert words in caught.value.message
    if line is not None:
        assert f"activation.yaml line {line}:" in caught.value.message
