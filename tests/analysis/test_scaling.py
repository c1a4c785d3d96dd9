"""Scaling advice against HPA cases computed by hand (target CPU 70%, up above 80%, down below 30%, 1–10
instances, 300 s scale-down stabilisation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growthos.analysis.scaling import Sample, ScalingPolicy, decide, proposal

T0 = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
POLICY = ScalingPolicy()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(("current", "cpu", "expected"), [
    (3, 90.0, 4),     # ceil(3 × 90 / 70) = ceil(3.857) = 4
    (4, 75.0, 4),     # inside 30–80%: hold
    (4, 80.0, 4),     # exactly 80% is not above it
    (4, 20.0, 2),     # ceil(4 × 20 / 70) = ceil(1.143) = 2
    (10, 95.0, 10),   # ceil(13.57) = 14, bounded to 10
    (1, 10.0, 1),     # ceil(0.143) = 1
    (2, 5.0, 1),      # ceil(0.143) = 1
    (6, 140.0, 10),   # ceil(12) = 12 → 10
    (7, 81.0, 9),     # ceil(8.1) = 9
    (0, 95.0, 0),     # not scaled from zero
])
def test_single_samples(current, cpu, expected) -> None:
    [d] = decide([Sample(T0, current, cpu)])
    assert d.recommendation == expected
    assert d.action == ("scale_up" if expected > current else "scale_down" if expected < current else "hold")


def test_exact_targets_do_not_round_up() -> None:
    policy = ScalingPolicy(target_cpu_percent=70, scale_up_above=70, scale_down_below=30)
    assert proposal(3, 70.0000000001, None, policy)[0] == 3  # 3 × 70/70 is 3, not 4 by a float hair


def test_scale_down_waits_for_the_window() -> None:
    samples = [Sample(at(0), 5, 85.0),    # ceil(6.07) = 7: up to 7
               Sample(at(60), 7, 20.0),   # ceil(2) = 2, but 7 was asked 60 s ago: hold at 7
               Sample(at(250), 7, 25.0),  # ceil(2.5) = 3; window still holds 7: hold
               Sample(at(400), 7, 20.0)]  # window [100, 400]: proposals 3 and 2 → max 3: down to 3
    got = [(d.proposal, d.recommendation, d.action) for d in decide(samples)]
    assert got == [(7, 7, "scale_up"), (2, 7, "hold"), (3, 7, "hold"), (2, 3, "scale_down")]
    assert "stabilised at 7" in decide(samples)[1].reason


def test_scale_up_is_immediate_and_a_scale_up_window_smooths_it() -> None:
    samples = [Sample(at(0), 2, 50.0), Sample(at(30), 2, 95.0)]  # ceil(2.71) = 3
    assert [d.recommendation for d in decide(samples)] == [2, 3]
    slow = ScalingPolicy(scale_up_window_s=60)  # the smallest proposal of the last 60 s: 2
    assert [d.recommendation for d in decide(samples, slow)] == [2, 2]


def test_memory_target_takes_the_larger_proposal() -> None:
    policy = ScalingPolicy(target_memory_percent=80)
    [d] = decide([Sample(T0, 2, 50.0, memory_percent=120.0)], policy)  # CPU holds 2; memory ceil(3) = 3
    assert (d.recommendation, d.action) == (3, "scale_up") and "memory" in d.reason


def test_policy_checks() -> None:
    with pytest.raises(ValueError):
        ScalingPolicy(scale_up_above=60)
    with pytest.raises(ValueError):
        ScalingPolicy(min_instances=0)


def _stabilised_by_definition(samples: list[Sample], policy: ScalingPolicy) -> list[int]:
    """The recommendation straight from the definition: min / max over every earlier proposal in each window."""
    ordered = sorted(samples, key=lambda s: s.at)
    proposals = [proposal(s.instances, s.cpu_percent, s.memory_percent, policy)[0] for s in ordered]
    out = []
    for i, s in enumerate(ordered):
        if s.instances == 0:
            out.append(0)
            continue
        seen = list(zip((o.at for o in ordered[: i + 1]), proposals[: i + 1], strict=True))
        up = min(p for t, p in seen if t >= s.at - timedelta(seconds=policy.scale_up_window_s))
        down = max(p for t, p in seen if t >= s.at - timedelta(seconds=policy.scale_down_window_s))
        out.append(up if s.instances < up else min(s.instances, down))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_windowed_stabilisation_matches_its_definition(seed):
    import random

    rng = random.Random(seed)
    policy = ScalingPolicy(scale_up_window_s=rng.choice([0, 60, 120]))
    t, samples = 0.0, []
    for _ in range(400):
        t += rng.choice([0, 5, 15, 30, 90])  # ties in time included
        samples.append(Sample(at(t), rng.randint(0, 8), rng.choice([None, rng.uniform(0, 150)])))
    assert [d.recommendation for d in decide(samples, policy)] == _stabilised_by_definition(samples, policy)
