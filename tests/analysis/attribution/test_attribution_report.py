"""Attribution end to end on hand-built collected events (New York, May 2024; site https://app.example).

  P1  anon a1: page 05-01 12:00 from https://www.google.com/ (organic_search); identify a1→u1 12:10 (merged:
      the anonymous visit is u1's); u1 page 05-08 12:00 ?utm_source=instagram&utm_medium=social
      (organic_social); page 05-15 12:00 direct + Subscription Started {mrr 20} 12:00, page 12:01 with the
      internal referrer https://app.example/ (same session, no new touch).
      Touches 14, 7 and 0 days before the conversion.
  P2  u2: page 04-01 12:00 ?utm_source=google&utm_medium=cpc (google_ads, 41 days before: outside a 30-day
      lookback); page 05-12 12:00 from https://www.seriouseats.example/best (referral) + Subscription Started
      {mrr 10}.
  P3  u3: 05-11 10:00 ?utm_source=google&utm_medium=cpc (google_ads); 05-12 10:00 instagram social
      (organic_social); 05-13 10:00 direct; 05-14 10:00 ?fbclid=abc (meta) + Subscription Started {mrr 30}.
  P4  u4: page 05-15 09:00 direct, never converts.
  P5  anon a5: page 05-16 12:00 /invite/abc (no referrer: direct, but an invite link → referral);
      identify a5→u5 12:03; Signed Up 12:05; Invite Accepted 12:06; never subscribes.

Range 05-10..05-20, lookback 30 days, half-life 7: conversions P1 (20), P2 (10), P3 (30): 3, value 60.
Paths: P1 organic_search → organic_social → direct; P2 referral; P3 google_ads → organic_social → direct →
meta; not converting: P4 direct, P5 referral.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from fixtures.events import identify, ny, track, write

from growthos.analysis.attribution import attribution_report
from growthos.core.errors import InvalidInput
from growthos.core.periods import DateRange
from growthos.sources.collector import Event

SITE = "https://app.example"
RANGE = DateRange(date(2024, 5, 10), date(2024, 5, 20))
_ids = itertools.count(1)


def landing(at, *, user=None, anon=None, path="/", search="", referrer="") -> Event:
    page = {"path": path, "search": search, "referrer": referrer, "url": f"{SITE}{path}{search}", "title": "x"}
    return Event(message_id=f"att{next(_ids)}", type="page", timestamp=at, received_at=at, user_id=user,
                 anonymous_id=anon, name="Page", properties=page, context={"page": page})


SOCIAL = "?utm_source=instagram&utm_medium=social&utm_campaign=reels"
CPC = "?utm_source=google&utm_medium=cpc"


def events() -> list[Event]:
    return [
        landing(ny(5, 1, 12), anon="a1", referrer="https://www.google.com/"),
        identify(ny(5, 1, 12, 10), anon="a1", user="u1"),
        landing(ny(5, 8, 12), user="u1", search=SOCIAL, referrer="https://www.instagram.com/"),
        landing(ny(5, 15, 12), user="u1"),
        track("Subscription Started", ny(5, 15, 12), user="u1", props={"plan": "family", "mrr": 20}),
        landing(ny(5, 15, 12, 1), user="u1", path="/pricing", referrer=f"{SITE}/"),
        landing(ny(4, 1, 12), user="u2", search=CPC),
        landing(ny(5, 12, 12), user="u2", referrer="https://www.seriouseats.example/best"),
        track("Subscription Started", ny(5, 12, 12), user="u2", props={"mrr": 10}),
        landing(ny(5, 11, 10), user="u3", search=CPC),
        landing(ny(5, 12, 10), user="u3", search=SOCIAL, referrer="https://www.instagram.com/"),
        landing(ny(5, 13, 10), user="u3"),
        landing(ny(5, 14, 10), user="u3", search="?fbclid=abc"),
        track("Subscription Started", ny(5, 14, 10), user="u3", props={"mrr": 30}),
        landing(ny(5, 15, 9), user="u4"),
        landing(ny(5, 16, 12), anon="a5", path="/invite/abc"),
        identify(ny(5, 16, 12, 3), anon="a5", user="u5"),
        track("Signed Up", ny(5, 16, 12, 5), user="u5"),
        track("Invite Accepted", ny(5, 16, 12, 6), user="u5", props={"invite_id": "abc"}),
    ]


@pytest.fixture
def stored(engine):
    write(engine, events())
    return engine


def credited(report: dict, model: str, what: str = "conversions") -> dict[str, float]:
    (result,) = [m for m in report["models"] if m["model"] == model]
    return {row["channel"]: row[what] for row in result["channels"]}


def test_every_model_credits_the_hand_worked_answer(stored, make_settings):
    report = attribution_report(stored, make_settings(), RANGE)
    assert report["conversions"] == 3 and report["value"] == 60
    assert report["journeys"] == {"converting": 3, "non_converting": 2, "touches": 8}
    assert credited(report, "first_touch") == {"organic_search": 1, "referral": 1, "google_ads": 1}
    assert credited(report, "first_touch", "value") == {"organic_search": 20, "referral": 10, "google_ads": 30}
    assert credited(report, "last_touch") == {"direct": 1, "referral": 1, "meta": 1}
    assert credited(report, "last_touch", "value") == {"direct": 20, "referral": 10, "meta": 30}
    # linear: P1 1/3 to each of its 3, P3 1/4 to each of its 4, P2 1 to referral
    assert credited(report, "linear") == pytest.approx({
        "organic_search": 1 / 3, "organic_social": 1 / 3 + 1 / 4, "direct": 1 / 3 + 1 / 4, "referral": 1,
        "google_ads": 1 / 4, "meta": 1 / 4})
    assert credited(report, "linear", "value") == pytest.approx({   # 20/3 and 30/4 = 7.5
        "organic_search": 20 / 3, "organic_social": 20 / 3 + 7.5, "direct": 20 / 3 + 7.5, "referral": 10,
        "google_ads": 7.5, "meta": 7.5})
    # time decay (half-life 7): P1 touches 14, 7, 0 days before → 1/7, 2/7, 4/7;
    # P3 touches 3, 2, 1, 0 days before → 2^(-3/7), 2^(-2/7), 2^(-1/7), 1 normalised
    raw = [2 ** (-3 / 7), 2 ** (-2 / 7), 2 ** (-1 / 7), 1.0]
    w = [x / sum(raw) for x in raw]
    assert credited(report, "time_decay") == pytest.approx({
        "organic_search": 1 / 7, "organic_social": 2 / 7 + w[1], "direct": 4 / 7 + w[2], "referral": 1,
        "google_ads": w[0], "meta": w[3]})
    # position based: P1 (3 touches) 0.4 / 0.2 / 0.4; P3 (4) 0.4 / 0.1 / 0.1 / 0.4; P2 (1) 1
    assert credited(report, "position_based") == pytest.approx({
        "organic_search": 0.4, "organic_social": 0.3, "direct": 0.5, "referral": 1, "google_ads": 0.4, "meta": 0.4})


def test_markov_removal_effects_by_hand(stored, make_settings):
    # Paths: S→os→soc→d→C, S→ref→C, S→g→soc→d→m→C, S→d→N, S→ref→N.
    # Out of S: os 1/5, ref 2/5, g 1/5, d 1/5; os→soc 1; g→soc 1; soc→d 1; d→C, d→m, d→N 1/3 each; m→C 1;
    # ref→C 1/2, ref→N 1/2.  x_m = 1, x_d = 1/3 + 1/3 = 2/3 = x_soc = x_os = x_g, x_ref = 1/2.
    # P = (2/3 + 2·1/2 + 2/3 + 2/3) / 5 = 3/5.
    # Without os: (1 + 2/3 + 2/3)/5 = 7/15 → RE 1 − 7/9 = 2/9; without g: 2/9 likewise;
    # without soc: (1 + 2/3)/5 = 1/3 → RE 4/9; without d: 1/5 → RE 2/3;
    # without m: x_d = 1/3 → (1/3 + 1 + 1/3 + 1/3)/5 = 2/5 → RE 1/3; without ref: (3·2/3)/5 = 2/5 → RE 1/3.
    # Σ RE = (2+2+4+6+3+3)/9 = 20/9 → shares 0.1, 0.1, 0.2, 0.3, 0.15, 0.15; × 3 conversions and × 60 value.
    report = attribution_report(stored, make_settings(), RANGE, model="markov")
    (markov,) = report["models"]
    assert markov["conversion_probability"] == pytest.approx(3 / 5)
    assert markov["removal_effects"] == pytest.approx({
        "organic_search": 2 / 9, "google_ads": 2 / 9, "organic_social": 4 / 9, "direct": 2 / 3, "meta": 1 / 3,
        "referral": 1 / 3})
    assert credited(report, "markov") == pytest.approx({
        "organic_search": 0.3, "google_ads": 0.3, "organic_social": 0.6, "direct": 0.9, "meta": 0.45,
        "referral": 0.45})
    assert credited(report, "markov", "value") == pytest.approx({
        "organic_search": 6, "google_ads": 6, "organic_social": 12, "direct": 18, "meta": 9, "referral": 9})
    shares = {row["channel"]: row["share"] for row in markov["channels"]}
    assert shares["direct"] == pytest.approx(0.3)


def test_longer_lookback_brings_back_the_old_paid_touch(stored, make_settings):
    # lookback 60: P2's google_ads touch of 04-01 (41 days before) now counts: first touch google_ads, and P2's
    # two touches split 50/50 in position based (P1 0.4 / 0.2 / 0.4 and P3 unchanged)
    report = attribution_report(stored, make_settings(), RANGE, model="all", lookback_days=60)
    assert credited(report, "first_touch") == {"organic_search": 1, "google_ads": 2}
    assert credited(report, "position_based") == pytest.approx({
        "organic_search": 0.4, "organic_social": 0.3, "direct": 0.5, "referral": 0.5, "google_ads": 0.9, "meta": 0.4})
    # lookback 10: P1 keeps only the social (7 days) and direct touches → 50/50; the anonymous Google visit is out
    short = attribution_report(stored, make_settings(), RANGE, model="position_based", lookback_days=10)
    assert credited(short, "position_based") == pytest.approx({
        "organic_social": 0.5 + 0.1, "direct": 0.5 + 0.1, "referral": 1, "google_ads": 0.4, "meta": 0.4})


def test_signups_through_an_invite_link_are_referral(stored, make_settings):
    report = attribution_report(stored, make_settings(), DateRange(date(2024, 5, 16), date(2024, 5, 16)),
                                conversion="Signed Up")
    assert report["conversions"] == 1 and report["value"] == 0
    for model in report["models"]:
        assert credited(report, model["model"]) == pytest.approx({"referral": 1.0}), model["model"]
    assert report["comparison"] == [{"channel": "referral", "label": "Referral", "models": {
        m: {"conversions": pytest.approx(1.0), "value": 0.0, "share": pytest.approx(1.0)} for m in
        ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov")}}]


def test_value_property_and_comparison_order(stored, make_settings):
    report = attribution_report(stored, make_settings(), RANGE, model="last_touch", value_property="plan")
    assert report["value"] == 0  # "family" is no number, the others have no plan
    assert [row["channel"] for row in report["comparison"]] == ["direct", "meta", "referral"]  # ties by name


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"model": "w_shaped"}, "model"), ({"lookback_days": 0}, "lookback_days"),
    ({"lookback_days": 400}, "lookback_days"), ({"half_life_days": 0}, "half_life_days"),
    ({"conversion": " "}, "conversion"), ({"value_property": "a b"}, "value_property"),
])
def test_bad_options_name_the_field(stored, make_settings, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        attribution_report(stored, make_settings(), RANGE, **kwargs)
    assert caught.value.field == field


def test_without_collected_events_nothing_is_credited(engine, make_settings):
    report = attribution_report(engine, make_settings(), RANGE)
    assert report["conversions"] == 0 and report["comparison"] == []
    assert all(m["channels"] == [] for m in report["models"])
