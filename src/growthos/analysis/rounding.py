"""How analysis results round their numbers (six decimals; no negative zero)."""

from __future__ import annotations

PRECISION = 6


def rounded(value: float | None) -> float | None:
    """``value`` to PRECISION decimals, -0.0 as 0.0, None as None."""
    if value is None:
        return None
    result = round(value, PRECISION)
    return 0.0 if result == 0 else result
