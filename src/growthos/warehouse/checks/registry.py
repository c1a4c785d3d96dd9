"""The data-quality checks: each is a SQL file under sql/ returning one row (observed, detail), and
thresholds here that turn the observed number into pass, warn or fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from growthos.core.errors import GrowthOSError
from growthos.store import CheckOutcome
from growthos.warehouse.engine import Engine


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    warn_above: float | None
    """The check warns when the observed value exceeds this (None: never warns)."""
    fail_above: float | None
    """The check fails when the observed value exceeds this (None: never fails)."""

    @property
    def sql(self) -> str:
        return (resources.files("growthos.warehouse.checks") / "sql" / f"{self.name}.sql").read_text()

    def judge(self, observed: float | None) -> str:
        if observed is None:
            return "fail"
        if self.fail_above is not None and observed > self.fail_above:
            return "fail"
        if self.warn_above is not None and observed > self.warn_above:
            return "warn"
        return "pass"


_CHECKS = [
    Check("unique_keys", "Primary keys of facts and dimensions are unique", None, 0),
    Check("not_null", "Required columns of the marts are filled", None, 0),
    Check("referential_integrity", "Fact rows point at existing customers, channels, days and campaigns", None, 0),
    Check("row_reconciliation", "Raw records = staged + quarantined; counted staged orders = fact orders", None, 0),
    Check("revenue_reconciliation", "Net revenue per order and spend per campaign-day reconcile from raw to facts",
          None, 0.01),
    Check("order_totals_consistent", "Line items add up to each order's subtotal and discounts", 0, None),
    Check("non_negative_amounts", "No negative amounts or counts; refunds never exceed the sale", None, 0),
    Check("clicks_within_impressions", "Ad clicks never exceed impressions", None, 0),
    Check("freshness", "Days since each source's latest data (worst source)", 1, 3),
    Check("missing_days", "Days without rows inside each active channel's span", 0, None),
    Check("currency_consistency", "Orders priced in one currency; ad accounts report in one", None, 0),
    Check("unknown_channel_share", "Share of last 30 days' orders with an unknown channel", 0.05, 0.15),
    Check("quarantined_records", "Malformed raw records left out of the build", 0, None),
]

CHECKS: dict[str, Check] = {c.name: c for c in _CHECKS}


def run_checks(engine: Engine, job_id: int | None = None) -> list[CheckOutcome]:
    """Run every check; a check whose SQL fails is reported as failed, never raised."""
    outcomes = []
    for check in CHECKS.values():
        now = datetime.now(UTC)
        threshold = check.fail_above if check.fail_above is not None else check.warn_above
        try:
            row = engine.query(check.sql).to_pylist()[0]
            observed = None if row["observed"] is None else float(row["observed"])
            detail = row["detail"] or ""
            status = check.judge(observed)
        except GrowthOSError as exc:
            observed, status, detail = None, "fail", f"check could not run: {exc.message}"
        outcomes.append(
            CheckOutcome(
                name=check.name,
                status=status,
                observed=observed,
                threshold=threshold,
                detail=detail,
                description=check.description,
                job_id=job_id,
                checked_at=now,
            )
        )
    return outcomes
