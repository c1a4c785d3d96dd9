"""The CDNOW 1/10 sample (Fader, Hardie & Lee 2005) as shipped in the `lifetimes` package's data folder: read
from the installed package's directory, without importing the package or using its code."""

from __future__ import annotations

import csv
import importlib.util
from datetime import date, datetime
from pathlib import Path

from growthos.analysis.ltv import Transaction

CALIBRATION_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01 (T of a 1997-01-01 customer: 272 / 7 = 38.86)


def dataset_dir() -> Path:
    spec = importlib.util.find_spec("lifetimes")  # a top-level name: found without being imported
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the dev dependency `lifetimes` (it ships the CDNOW sample) is not installed: make setup")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


def cdnow_transactions() -> list[Transaction]:
    """CDNOW_sample.txt: master id, customer id (1-2357), YYYYMMDD, number of CDs, dollar value."""
    rows = []
    for line in (dataset_dir() / "CDNOW_sample.txt").read_text().splitlines():
        _, customer, day, _cds, amount = line.split()
        rows.append(Transaction(customer, datetime.strptime(day, "%Y%m%d").date(), float(amount)))
    return rows


def write_cdnow_csv(path: Path) -> Path:
    """The sample in our CSV format (customer_id, date, amount)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "date", "amount"])
        for t in cdnow_transactions():
            writer.writerow([t.customer_id, t.day.isoformat(), t.amount])
    return path


def published_summary() -> dict[str, dict[str, float]]:
    """Hardie's calibration summary (x, t_x, T in weeks, zbar; rounded to 2 decimals), by customer id."""
    with (dataset_dir() / "cdnow_customers_summary_with_transactions.csv").open() as handle:
        return {str(int(row["ID"])).zfill(4): {k: float(row[k]) for k in ("x", "t_x", "T", "zbar")}
                for row in csv.DictReader(handle)}
