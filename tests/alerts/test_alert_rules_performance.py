"""The performance rule pack on planted telemetry: each threshold fires on the right side of its limit, waits
for enough samples, watches the workspace's window; DAU declines by hand; packs chosen in alerts.yaml."""

from __future__ import annotations

from datetime import timedelta

import pytest
from planted_series import LAST_DAY, PlantedContext

from growthos.alerts.config import parse_config
from growthos.alerts.performance import PERFORMANCE_RULES
from growthos.alerts.rules import pack_rules, parse_rule, rule_kind
from growthos.core.errors import InvalidInput

PACK = {r.name: r for r in pack_rules(["performance"])}
QUIET = {"lcp_p75_ms": 2100.0, "fid_p75_ms": 40.0, "inp_p75_ms": 150.0, "cls_p75": 0.05,
         "ai_p95_latency_ms": 2200.0, "ai_error_rate": 0.01, "ai_cache_hit_rate": 0.35, "ai_tokens_per_request": 900.0,
         "db_max_query_ms": 800.0, "db_slow_query_rate": 0.01, "db_cache_hit_rate": 0.45, "error_rate": 0.004,
         "lcp_samples": 500.0, "fid_samples": 80.0, "inp_samples": 300.0, "cls_samples": 500.0, "ai_calls": 400.0,
         "db_queries": 2000.0, "operations": 2400.0}


def judge(name: str, ctx: PlantedContext):
    rule = PACK[name]
    return rule_kind(rule.kind).evaluate(rule, ctx)


def test_the_pack_has_the_issues_rules() -> None:
    assert len(PERFORMANCE_RULES) == 15 == len(PACK)
    limits = {name: (r.params.get("measure"), r.params.get("above"), r.params.get("below"))
              for name, r in PACK.items() if r.kind == "telemetry_threshold"}
    assert limits["lcp_poor"] == ("lcp_p75_ms", 4000, None) and limits["cls_poor"] == ("cls_p75", 0.25, None)
    assert limits["ai_cache_hit_low"] == ("ai_cache_hit_rate", None, 0.2)
    assert limits["db_slow_query"] == ("db_max_query_ms", 2000, None)
    assert PACK["error_rate_critical"].severity == "critical" and PACK["error_rate_elevated"].severity == "warning"
    assert PACK["conversion_decline"].params["threshold"] == 0.15 and PACK["dau_decline"].params["threshold"] == 0.2


def test_quiet_telemetry_fires_nothing() -> None:
    ctx = PlantedContext(measures=QUIET)
    verdicts = {name: judge(name, ctx) for name, r in PACK.items() if r.kind == "telemetry_threshold"}
    assert not any(v.fired or v.skipped for v in verdicts.values()), {n: v.message for n, v in verdicts.items()}
    assert ctx.telemetry_windows[0] == (ctx.now - timedelta(hours=24), ctx.now)


@pytest.mark.parametrize(("rule", "measure", "value", "fires"), [
    ("lcp_poor", "lcp_p75_ms", 4000.0, False),  # at the limit: not above it
    ("lcp_poor", "lcp_p75_ms", 4000.5, True),
    ("inp_poor", "inp_p75_ms", 501.0, True),
    ("cls_poor", "cls_p75", 0.26, True),
    ("fid_poor", "fid_p75_ms", 301.0, True),
    ("ai_slow_responses", "ai_p95_latency_ms", 5200.0, True),
    ("ai_error_rate", "ai_error_rate", 0.06, True),
    ("ai_cache_hit_low", "ai_cache_hit_rate", 0.19, True),
    ("ai_cache_hit_low", "ai_cache_hit_rate", 0.20, False),
    ("ai_tokens_per_request", "ai_tokens_per_request", 3100.0, True),
    ("db_slow_query", "db_max_query_ms", 2400.0, True),
    ("db_slow_query_rate", "db_slow_query_rate", 0.25, True),
    ("db_cache_hit_low", "db_cache_hit_rate", 0.10, True),
    ("error_rate_elevated", "error_rate", 0.02, True),
    ("error_rate_critical", "error_rate", 0.02, False),
    ("error_rate_critical", "error_rate", 0.07, True),
])
def test_each_limit(rule, measure, value, fires) -> None:
    verdict = judge(rule, PlantedContext(measures={**QUIET, measure: value}))
    assert (verdict.fired, verdict.skipped, verdict.observed) == (fires, False, value)
    assert bool(verdict.recommendation) == fires


def test_too_few_samples_or_no_data_skip() -> None:
    assert judge("lcp_poor", PlantedContext(measures={**QUIET, "lcp_p75_ms": 9000.0, "lcp_samples": 19.0})).skipped
    assert judge("ai_error_rate", PlantedContext(measures={})).skipped
    quiet_db = {**QUIET, "db_cache_hit_rate": None}
    assert judge("db_cache_hit_low", PlantedContext(measures=quiet_db)).skipped


def test_dau_decline_by_hand() -> None:
    # the 7 days before: 200 each except one 130 → mean (6 × 200 + 130) / 7 = 190; last day 150: 150/190 − 1 = −21%
    dau = {LAST_DAY - timedelta(days=i): 200 for i in range(1, 8)}
    dau[LAST_DAY - timedelta(days=3)] = 130
    verdict = judge("dau_decline", PlantedContext(dau={**dau, LAST_DAY: 150}))
    assert verdict.fired and verdict.baseline == pytest.approx(190.0)
    assert verdict.values["change"] == pytest.approx(150 / 190 - 1)
    assert not judge("dau_decline", PlantedContext(dau={**dau, LAST_DAY: 153})).fired  # −19.5%
    assert judge("dau_decline", PlantedContext(dau={})).skipped


def test_rule_checks_name_the_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_rule({"name": "x", "kind": "telemetry_threshold", "params": {"measure": "lcp_p75_ms", "above": 1,
                                                                          "below": 2}})
    assert exc.value.field == "params.above"
    with pytest.raises(InvalidInput) as exc:
        parse_rule({"name": "x", "kind": "telemetry_threshold", "params": {"measure": "speed", "above": 1}})
    assert exc.value.field == "params.measure"
    with pytest.raises(InvalidInput) as exc:
        parse_rule({"name": "x", "kind": "usage_decline", "params": {"threshold": 1.5}})
    assert exc.value.field == "params.threshold"


def test_packs_in_alerts_yaml() -> None:
    commerce_only = parse_config("packs: [commerce]\n")
    assert [r.name for r in commerce_only.rules][:2] == ["net_revenue_drop", "mer_drop"]
    assert len(commerce_only.rules) == 7
    both = parse_config("packs: [commerce, performance]\nrules:\n  - {name: lcp_poor, kind: telemetry_threshold, "
                        "params: {measure: lcp_p75_ms, above: 3000}}\n")
    assert len(both.rules) == 22
    lcp = next(r for r in both.rules if r.name == "lcp_poor")
    assert lcp.params["above"] == 3000 and lcp.source == "yaml"
    with pytest.raises(InvalidInput) as exc:
        parse_config("packs: [commerce, speed]\n")
    assert exc.value.field == "packs[1]" and "line 1" in exc.value.message
    assert parse_config("channels: []\n").rules is None  # neither: the default packs apply
