"""Forecast accuracy and anomaly detection on the demo workspace.

    .venv/bin/python bench/forecast.py [--data-dir DIR]

Builds the demo (180 days ending the day before its as-of date) into a temporary directory (or reuses a
built --data-dir), then
- backtests the forecast of net revenue, orders and sessions: 4 rolling origins 28 days apart, 28 days ahead;
  MASE of the model and of the seasonal naive forecast (season 7), both scaled by the in-sample seasonal
  naive error; the ratio of the two (< 1: the model beats seasonal naive); interval coverage;
- detects anomalies over the 180 days and scores them against the injected ones (`growthos demo
  --list-anomalies`): recall and false alarms per 180 days, on the headline KPIs and on every metric the
  injected list names.
Prints the results and appends them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from growthos.analysis.anomalies import DEFAULT_METRICS, detect, score_against_truth
from growthos.analysis.forecast import backtest
from growthos.config import load_settings
from growthos.core.periods import DateRange
from growthos.pipeline import build_and_check, demo_settings, load_records
from growthos.sources.demo import anomalies_as_dicts, generate
from growthos.workspace import Workspace

RESULTS = Path(__file__).with_name("RESULTS.md")


def _settings(data_dir: Path, build: bool):
    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    settings = demo_settings(base).model_copy(update={"app_db_url": base.app_db_url, "engine": "duckdb",
                                                      "scheduler_enabled": False})
    if build:
        with Workspace(settings) as ws:
            load_records(ws, generate())
            build_and_check(ws)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="An already built demo workspace.")
    args = parser.parse_args()
    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line)
        lines.append(line)

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        settings = _settings(args.data_dir or Path(tmp), build=args.data_dir is None)
        build_s = time.perf_counter() - started
        with Workspace(settings) as ws:
            end = ws.last_full_day
            say(f"Demo through {end} (built in {build_s:.1f} s); forecast backtests, 4 folds x 28 days:")
            say("| KPI | model MASE | seasonal naive MASE | model / naive | 80% coverage | 95% coverage | s |")
            say("|---|---|---|---|---|---|---|")
            for metric in ("net_revenue", "orders", "sessions"):
                t = time.perf_counter()
                b = backtest(ws.engine, end, metric)
                say(f"| {metric} | {b['mase']:.3f} | {b['seasonal_naive_mase']:.3f} | {b['relative_to_naive']:.3f} "
                    f"| {b['coverage']['80']:.2f} | {b['coverage']['95']:.2f} | {time.perf_counter() - t:.1f} |")
            truth = anomalies_as_dicts()
            listed = sorted({m for t in truth for m in t["metrics"]} | set(DEFAULT_METRICS))
            rng = DateRange(end - timedelta(days=179), end)
            t = time.perf_counter()
            result = detect(ws.engine, rng, end, listed)
            detect_s = time.perf_counter() - t
        say()
        say(f"Anomalies over {rng.start}..{rng.end} (threshold {result['threshold']}, {detect_s:.2f} s for "
            f"{len(listed)} metrics):")
        say("| metric set | anomaly recall | (anomaly, metric) recall | false alarms | per 180 days | missed |")
        say("|---|---|---|---|---|---|")
        for label, metrics in (("headline (6)", list(DEFAULT_METRICS)), (f"all listed ({len(listed)})", listed)):
            s = score_against_truth(result["anomalies"], truth, metrics, rng.days)
            found = sum(a["found"] for a in s["anomalies"])
            pairs = sum(p["found"] for p in s["pairs"])
            missed = ", ".join(f"{p['kind']}/{p['metric']}" for p in s["pairs"] if not p["found"])
            say(f"| {label} | {s['anomaly_recall']:.2f} ({found}/{len(s['anomalies'])}) | {s['pair_recall']:.2f} "
                f"({pairs}/{len(s['pairs'])}) | {s['false_alarms']} | {s['false_alarms_per_180_days']} | {missed} |")
            if label.startswith("headline"):
                say("False alarms (headline): " + (", ".join(f"{f['metric']} {f['day']} ({f['score']:+.1f})"
                                                             for f in s["false_alarm_days"]) or "none"))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as fh:
        fh.write(f"\n## Forecast and anomalies ({stamp}, {platform.machine()}, Python {sys.version.split()[0]})\n\n")
        fh.write("Command: `.venv/bin/python bench/forecast.py`\n\n")
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
