"""Health score on inputs with a known answer, and insights ranked by impact with catalogue recommendations."""

from __future__ import annotations

from growthos.analysis.diff import MetricDiff
from growthos.analysis.health import health_score
from growthos.analysis.insights import insights
from growthos.analysis.recommendations import RECOMMENDATIONS


def md(name: str, trend: str, impact: float = 0.0, moved: bool = True) -> MetricDiff:
    return MetricDiff(name=name, label=name, unit="count", polarity="up", a=1.0, b=2.0, change=1.0,
                      relative_change=1.0, relative_change_reason=None, direction="up", test=None, p_value=None,
                      q_value=None, significant=None, moved=moved, basis="threshold", trend=trend, impact=impact)


def test_health_score_by_hand() -> None:
    # weights: net_revenue 3 (improving, 1), ncac 2 (declining, 0), orders 2 (stable, 0.75), aov 1 (improving, 1);
    # (3 + 0 + 1.5 + 1) / 8 = 0.6875 -> 69; metrics without a weight do not count
    metrics = [md("net_revenue", "improving"), md("ncac", "declining"), md("orders", "stable"),
               md("aov", "improving"), md("impressions", "declining")]
    score = health_score(metrics)
    assert score.score == 69
    assert [c.name for c in score.components] == ["net_revenue", "ncac", "orders", "aov"]
    assert health_score([md("orders", "stable")]).score == 75
    assert health_score([md("impressions", "declining")]).score is None
    assert health_score([md("net_revenue", "declining"), md("orders", "improving")]).score == 40  # 2 / 5


def test_insights_ranked_by_impact_with_recommendations() -> None:
    metrics = [md("orders", "declining", 0.4), md("net_revenue", "declining", 1.2), md("ctr", "stable", 0.0, False),
               md("ncac", "improving", 0.8)]
    got = insights(metrics)
    assert [i.metric for i in got] == ["net_revenue", "ncac", "orders"]
    assert got[0].recommendation == RECOMMENDATIONS["net_revenue"]["declining"]
    assert got[1].recommendation == RECOMMENDATIONS["ncac"]["improving"]
