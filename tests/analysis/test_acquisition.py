"""Channel groups of the acquisition table (the KPIs themselves are metrics.channels', tested there and
compared row for row in tests/server/api/test_acquisition_api.py)."""

from __future__ import annotations

import pytest

from growthos.analysis.acquisition import channel_group


@pytest.mark.parametrize(
    ("channel", "is_paid", "group"),
    [
        ("meta", True, "paid"),
        ("google_ads", True, "paid"),
        ("organic_search", False, "organic"),
        ("email", False, "organic"),
        ("direct", False, "direct"),
        ("referral", False, "referral"),
        ("unknown", False, "unknown"),
    ],
)
def test_channel_group(channel, is_paid, group) -> None:
    assert channel_group(channel, is_paid) == group
