from pathlib import Path

import pytest

from growthos.core.errors import InvalidInput
from growthos.metrics.catalogue import CATALOGUE, parse_metric_list, ratio
from growthos.metrics.docs import catalogue_markdown

ROOT = Path(__file__).resolve().parents[2]

REQUIRED = {
    "gross_sales", "net_revenue", "orders", "aov", "new_customers", "returning_customer_rate",
    "repeat_purchase_rate", "refund_rate", "ad_spend", "platform_roas", "mer", "ncac", "cpm", "cpc", "ctr",
    "sessions", "conversion_rate", "gross_margin", "contribution_margin", "contribution_margin_pct", "ltv_30",
    "ltv_90", "ltv_180", "ltv_cac", "payback_days",
}


def test_the_catalogue_has_every_required_kpi_fully_defined():
    assert REQUIRED <= set(CATALOGUE)
    assert len(CATALOGUE) >= 20
    for metric in CATALOGUE.values():
        assert metric.name.isidentifier() and metric.name == metric.name.lower()
        assert metric.label and metric.formula
        assert metric.unit in {"currency", "count", "ratio", "multiple", "days"}
        assert metric.polarity in {"up", "down", "neutral"}


def test_docs_metrics_md_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "metrics.md").read_text() == catalogue_markdown(), (
        "docs/metrics.md is stale: run `make docs`"
    )


def test_zero_denominators_give_none():
    assert ratio(5.0, 0.0) is None
    assert ratio(None, 2.0) is None
    assert ratio(1.0, 4.0) == 0.25
    for metric in CATALOGUE.values():
        metric.compute({name: 0.0 for name in metric.needs})  # never raises


def test_unknown_metric_names_are_rejected_with_the_field():
    with pytest.raises(InvalidInput, match="nope") as info:
        parse_metric_list("net_revenue,nope")
    assert info.value.field == "metrics"
