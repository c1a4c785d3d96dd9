"""The Loops page in real Chromium shows the API's answers: one summary row and one card per loop, the metric
cards, the diagram (a box per step with its conversion on the arrow into it, the bottleneck steps — and only
those — highlighted, the arrow back to the first step for a closing loop) and the bottlenecks with their
recommendations; a range change refetches."""

from __future__ import annotations


def diagram(page, loop: str) -> list[dict]:
    return page.evaluate(f"""[...document.querySelectorAll('[data-loop="{loop}"] .loop-step')].map((g) => ({{
        step: g.dataset.step, bottleneck: g.dataset.bottleneck === 'true',
        conversion: g.dataset.conversion === '' ? null : Number(g.dataset.conversion),
        reached: Number(g.dataset.reached),
        fill: getComputedStyle(g.querySelector('rect')).fill,
        label: document.querySelector('[data-loop="{loop}"] .loop-edge[data-to="' + g.dataset.step + '"] text')
               ?.textContent ?? null }}))""")


def test_loops_page_matches_the_api(logged_in, live_server, read_api, monitor, wait_ready, screenshot):
    page = logged_in
    page.goto(f"{live_server.url}/growth/loops?range=90d")
    wait_ready(page)
    api = read_api.get("/api/loops/overview", params={"range": "90d"}).json()
    names = [item["loop"]["name"] for item in api["loops"]]
    assert page.locator("#loops-table tbody tr").evaluate_all("(rows) => rows.map((r) => r.dataset.loop)") == names
    assert page.locator(".loop-card").evaluate_all("(cards) => cards.map((c) => c.dataset.loop)") == names
    for item in api["loops"]:
        name, steps = item["loop"]["name"], item["metrics"]["steps"]
        shown = diagram(page, name)
        assert [s["step"] for s in shown] == [s["name"] for s in steps]
        assert [s["reached"] for s in shown] == [s["reached"] for s in steps]
        assert [s["conversion"] for s in shown] == [s["conversion"] for s in steps]
        assert [s["bottleneck"] for s in shown] == [s["bottleneck"] for s in steps]
        assert {s["name"] for s in steps if s["bottleneck"]} == {b["step"] for b in item["bottlenecks"]}
        for box, step in zip(shown, steps, strict=True):
            # bottleneck boxes are filled with --bad-soft (#fdeceb), the others with --surface (#ffffff)
            assert box["fill"] == ("rgb(253, 236, 235)" if step["bottleneck"] else "rgb(255, 255, 255)")
            if step["conversion"] is not None:
                assert box["label"] == f"{step['conversion'] * 100:.1f}%"
        card = page.locator(f'.loop-card[data-loop="{name}"]')
        assert card.locator('[data-card=starts] [data-role=value]').inner_text() == f"{item['metrics']['starts']:,}"
        assert card.locator('[data-card=completions] [data-role=value]').inner_text() == \
            f"{item['metrics']['completions']:,}"
        assert card.locator('[data-card=efficiency] [data-role=value]').inner_text() == \
            f"{item['metrics']['efficiency']:.1f}"
        assert card.locator(".loop-return").count() == 1  # both demo loops close back to their first step
        assert card.locator(".bottleneck").evaluate_all("(els) => els.map((e) => e.dataset.step)") == \
            [b["step"] for b in item["bottlenecks"]]
        assert card.locator(".recommendation").count() == sum(len(b["recommendations"]) for b in item["bottlenecks"])
    invite = next(item for item in api["loops"] if item["loop"]["name"] == "invite")
    k_card = page.locator('.loop-card[data-loop="invite"] [data-card=k_factor] [data-role=value]')
    assert k_card.inner_text() == f"{invite['metrics']['k_factor']:.3f}"
    screenshot(page, "loops")

    page.click("#range-picker button[value='30d']")
    page.wait_for_function("new URLSearchParams(location.search).get('range') === '30d'")
    wait_ready(page)
    api30 = read_api.get("/api/loops/invite/metrics", params={"range": "30d"}).json()
    starts = page.locator('.loop-card[data-loop="invite"] [data-card=starts] [data-role=value]')
    starts.filter(has_text=f"{api30['starts']:,}").wait_for()
    monitor.assert_clean()
