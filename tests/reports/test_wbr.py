"""The Weekly Business Review of the demo's last week: every number in its headline and "what moved" sections
is a fact, and each fact equals the value of an independently computed diff of the two stored snapshots."""

from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import date

import pytest

from growthos.analysis.diff import diff_snapshots
from growthos.analysis.health import health_score
from growthos.analysis.snapshot_store import load_snapshot
from growthos.reports import build_wbr, compose_review, render_html, render_markdown
from growthos.reports import format as fmt
from growthos.workspace import Workspace

NUMBER = re.compile(r"[+-]?(?:A\$|C\$|[$€£¥])?\d[\d,]*(?:\.\d+)?(?:%| pp|×)?")


@pytest.fixture(scope="module")
def review(demo_settings_session):
    with Workspace(demo_settings_session) as ws:
        yield build_wbr(ws), ws


def _section_text(markdown: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", markdown, flags=re.S | re.M)
    assert match, title
    return match.group(1)


def test_the_demos_last_week_is_reviewed(review) -> None:
    r, _ws = review
    assert (r.week_start, r.week_end) == (date(2026, 2, 2), date(2026, 2, 8))
    assert (r.previous_start, r.previous_end) == (date(2026, 1, 26), date(2026, 2, 1))
    assert r.source == f"diff:{r.snapshot_ids['previous']},{r.snapshot_ids['current']}"
    assert [s.id for s in r.sections] == ["headline", "what_moved", "channels", "anomalies", "alerts", "forecast",
                                          "recommendations", "about"]
    assert {f.source for f in r.facts} <= {r.source, "forecast", "anomaly", "alert"}
    assert r.section("what_moved").items and r.section("forecast").items
    forecast = {(f.metric, f.field): f.value for f in r.facts if f.source == "forecast"}
    assert forecast[("net_revenue", "lower_80")] < forecast[("net_revenue", "forecast")] \
        < forecast[("net_revenue", "upper_80")]
    # a second review reuses the stored snapshots
    _r, ws = review
    again = build_wbr(ws)
    assert again.snapshot_ids == r.snapshot_ids


def test_every_number_traces_to_the_diff(review) -> None:
    r, ws = review
    markdown = render_markdown(r)
    a = load_snapshot(ws.store, r.snapshot_ids["previous"])
    b = load_snapshot(ws.store, r.snapshot_ids["current"])
    diff = diff_snapshots(a, b).by_name()
    rows_a = {by: {row["key"]: row["kpis"] for row in a.breakdowns[by]} for by in ("channel", "campaign")}
    rows_b = {by: {row["key"]: row["kpis"] for row in b.breakdowns[by]} for by in ("channel", "campaign")}
    for section_id, title in (("headline", "Headline"), ("what_moved", "What moved and why")):
        facts = r.section_facts(section_id)
        numbers = NUMBER.findall(_section_text(markdown, title))
        assert numbers and Counter(numbers) == Counter(f.text for f in facts), section_id
        for f in facts:
            assert f.source == r.source
            if f.metric == "health_score":
                assert f.value == health_score(list(diff.values())).score and f.text == str(f.value)
                continue
            m = diff[f.metric]
            unit, currency = m.unit, b.currency
            expected = {
                "value": (m.b, fmt.value(m.b, unit, currency)),
                "previous": (m.a, fmt.value(m.a, unit, currency)),
                "change": (m.change, fmt.change(m.change, unit, currency)),
                "relative_change": (m.relative_change, fmt.relative(m.relative_change)),
            }.get(f.field)
            if expected is None:  # a channel's or campaign's contribution to the change, or its share
                by, kind = f.field.split("_")
                keys = set(rows_a[by]) | set(rows_b[by])
                key = None if f.key is None else next(k for k in keys if str(k) == f.key)
                contribution = _contribution(f.metric, rows_a[by], rows_b[by], key, by, a, b)
                if kind == "contribution":
                    expected = (pytest.approx(contribution, abs=1e-5), fmt.change(round(contribution, 6), unit,
                                                                                   currency))
                else:
                    expected = (pytest.approx(contribution / m.change, abs=1e-5), f.text)
                    assert f.text == fmt.share(f.value)
            assert f.value == expected[0], (f, expected)
            assert f.text == expected[1], (f, expected)
        # a relative change is written only from a positive base (none from the demo's negative margins)
        shown = {f.metric for f in facts if f.field == "relative_change"}
        written = {f.metric for f in facts if f.field == "previous"}
        assert shown == {n for n in written if diff[n].a > 0}, section_id
        assert any(diff[n].a < 0 for n in written), "the fixture should cover a negative base"


def _contribution(metric, rows_a, rows_b, key, by, a, b) -> float:
    """An independent check: additive KPIs move by the group's own change; a ratio N/D by (ΔNᵢ − R₀ ΔDᵢ) / D₁."""
    def v(rows, name):
        return float((rows.get(key) or {}).get(name, {}).get("value") or 0.0)

    def total(snapshot, name):
        return sum(float(r["kpis"][name]["value"] or 0.0) for r in snapshot.breakdowns[by])

    parts = {"mer": ("net_revenue", "ad_spend"), "aov": ("net_revenue", "orders"),
             "ncac": ("ad_spend", "new_customers")}
    if metric not in parts:
        return v(rows_b, metric) - v(rows_a, metric)
    num, den = parts[metric]
    r0 = total(a, num) / total(a, den)
    return ((v(rows_b, num) - v(rows_a, num)) - r0 * (v(rows_b, den) - v(rows_a, den))) / total(b, den)


def test_html_escapes_names_and_has_no_external_assets(review) -> None:
    r, ws = review
    a = load_snapshot(ws.store, r.snapshot_ids["previous"])
    b = load_snapshot(ws.store, r.snapshot_ids["current"])
    evil = "<script>alert('x')</script> & Co"
    for snapshot in (a, b):
        snapshot.breakdowns = copy.deepcopy(snapshot.breakdowns)
        for row in snapshot.breakdowns["campaign"] + snapshot.breakdowns["channel"]:
            row["label"] = evil
    hostile = compose_review(a, b, alerts=[{"id": 1, "rule": "<b>rule</b>", "severity": "critical", "status": "open",
                                            "message": "<img src=x onerror=alert(1)>", "recommendation": "<i>x</i>"}])
    html = render_html(hostile)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "http://" not in html and "https://" not in html and "<link" not in html
    markdown = render_markdown(hostile)
    assert r"\<script\>" in markdown and not re.search(r"(?<!\\)[<>]", markdown)  # every < and > escaped
