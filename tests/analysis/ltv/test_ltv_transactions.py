"""Reading a transaction log CSV: columns, dates, amounts, each bad row named by line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from growthos.analysis.ltv import Transaction, read_transactions_csv
from growthos.core.errors import InvalidInput


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tx.csv"
    path.write_text(text)
    return path


def test_reads_rows_and_ignores_other_columns(tmp_path):
    path = write(tmp_path, "order,customer_id,date,amount\n1,c1,2024-01-01,10.5\n2, c2 ,2024-01-02T23:30:00,0\n")
    assert read_transactions_csv(path) == [Transaction("c1", date(2024, 1, 1), 10.5),
                                           Transaction("c2", date(2024, 1, 2), 0.0)]


@pytest.mark.parametrize(("text", "field", "needle"), [
    ("customer_id,date\nc1,2024-01-01\n", "amount", "no column amount"),
    ("customer_id,date,amount\n", "transactions", "no transactions"),
    ("customer_id,date,amount\nc1,2024-01-01,1\nc1,2024-13-01,2\n", "date", "line 3"),
    ("customer_id,date,amount\nc1,2024-01-01,ten\n", "amount", "'ten' is not a number"),
    ("customer_id,date,amount\nc1,2024-01-01,nan\n", "amount", "not a finite number"),
    ("customer_id,date,amount\nc1,2024-01-01,-5\n", "amount", "negative"),
    ("customer_id,date,amount\n,2024-01-01,5\n", "customer_id", "empty"),
])
def test_bad_rows_name_the_field_and_line(tmp_path, text, field, needle):
    with pytest.raises(InvalidInput) as error:
        read_transactions_csv(write(tmp_path, text))
    assert error.value.field == field
    assert needle in error.value.message


def test_missing_file(tmp_path):
    with pytest.raises(InvalidInput) as error:
        read_transactions_csv(tmp_path / "nope.csv")
    assert error.value.field == "transactions"
