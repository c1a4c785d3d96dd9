"""A transaction log (customer_id, date, amount) read from CSV, every row checked."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from growthos.core.errors import InvalidInput

COLUMNS = ("customer_id", "date", "amount")


@dataclass(frozen=True)
class Transaction:
    customer_id: str
    day: date
    amount: float


def read_transactions_csv(path: Path | str) -> list[Transaction]:
    """Every row of a CSV with a header naming at least customer_id, date (YYYY-MM-DD or an ISO timestamp,
    whose date is taken as written) and amount (a non-negative number); other columns are ignored."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="transactions") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidInput(f"{path.name} has no column {', '.join(missing)} (needs {', '.join(COLUMNS)})",
                               field=missing[0])
        rows = [_parse_row(row, line=reader.line_num, name=path.name) for row in reader]
    if not rows:
        raise InvalidInput(f"{path.name} has no transactions", field="transactions")
    return rows


def _parse_row(row: dict[str, str | None], *, line: int, name: str) -> Transaction:
    where = f"{name} line {line}"
    customer = (row.get("customer_id") or "").strip()
    if not customer:
        raise InvalidInput(f"{where}: customer_id is empty", field="customer_id")
    return Transaction(customer, parse_day(row.get("date"), where), parse_amount(row.get("amount"), where))


def parse_day(value: str | None, where: str) -> date:
    text = (value or "").strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
    except ValueError:
        raise InvalidInput(f"{where}: date {text!r} is not a date (YYYY-MM-DD)", field="date") from None


def parse_amount(value: str | None, where: str) -> float:
    text = (value or "").strip()
    try:
        amount = float(text)
    except ValueError:
        raise InvalidInput(f"{where}: amount {text!r} is not a number", field="amount") from None
    if not math.isfinite(amount):
        raise InvalidInput(f"{where}: amount {text!r} is not a finite number", field="amount")
    if amount < 0:
        raise InvalidInput(f"{where}: amount {text} is negative (refunds belong in the purchase's amount)",
                           field="amount")
    return amount
