"""The cohorts page's Predicted LTV section in real Chromium shows /api/ltv: the models' parameters, the mean
predicted CLV beside the observed cohort LTV, the P(alive) histogram and the per-cohort comparison."""

from __future__ import annotations


def money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"  # the page adds the currency symbol


def test_predicted_ltv_section_shows_the_api(logged_in, read_api, live_server, monitor, wait_ready, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/cohorts")
    wait_ready(page)
    ltv = read_api.get("/api/ltv", params={"horizon": 12}).json()
    section = page.locator("#predicted-ltv")
    assert section.get_attribute("data-state") == "ready"

    cards = page.evaluate("""Object.fromEntries([...document.querySelectorAll('#ltv-cards [data-card]')].map(
        (card) => [card.dataset.card, card.querySelector('[data-role=value]').textContent]))""")
    summary = ltv["summary"]
    assert cards["mean_clv"].endswith(money(summary["mean_clv"]))
    assert cards["mean_observed_ltv"].endswith(money(summary["mean_observed_ltv"]))
    assert cards["mean_p_alive"] == f"{summary['mean_p_alive'] * 100:.1f}%"
    assert cards["expected_purchases"] == f"{round(summary['expected_purchases']):,}"

    params = page.locator("#ltv-params tbody tr").evaluate_all(
        "(trs) => trs.map((tr) => [tr.dataset.key, ...[...tr.cells].map((c) => c.textContent)])")
    bg, gg = ltv["bg_nbd"], ltv["gamma_gamma"]
    assert params[0][:3] == ["bg_nbd", "BG/NBD",
                             f"r {bg['r']:.4f} · α {bg['alpha']:.4f} · a {bg['a']:.4f} · b {bg['b']:.4f}"]
    assert params[1][:3] == ["gamma_gamma", "Gamma-Gamma", f"p {gg['p']:.4f} · q {gg['q']:.4f} · γ {gg['gamma']:.4f}"]

    bars = page.evaluate("Chart.getChart(document.getElementById('ltv-alive-chart')).data.datasets[0].data")
    assert bars == [b["customers"] for b in summary["p_alive_histogram"]]
    assert sum(bars) == summary["customers"]

    rows = page.locator("#ltv-cohort-table tbody tr").evaluate_all(
        "(trs) => trs.map((tr) => [tr.dataset.key, ...[...tr.cells].map((c) => c.textContent)])")
    assert [r[0] for r in rows] == [c["cohort_month"] for c in ltv["cohorts"]]
    for row, cohort in zip(rows, ltv["cohorts"], strict=True):
        assert row[2] == f"{cohort['customers']:,}"
        assert row[3].endswith(money(cohort["observed_ltv"]))
        assert row[4].endswith(money(cohort["predicted_clv"]))
        assert row[5].endswith(money(cohort["projected_ltv"]))
    screenshot(page, "cohorts_predicted_ltv")
    monitor.assert_clean()
