"""Forecast accuracy and anomaly detection on the demo workspace.

    .venv/bin/python bench/forecast.py [--data-dir DIR] [--seeds 1 2 ...]

Builds the demo (180 days ending the day before its as-of date) into a temporary directory (or reuses a
built --data-dir), then
- backtests the forecast of net revenue, orders and sessions: 4 rolling origins 28 days apart, 28 days ahead;
  MASE of the model and of the seasonal naive forecast (season 7), both scaled by the in-sample seasonal
  naive error; the ratio of the two (< 1: the model beats seasonal naive); interval coverage; and, for
  reference, the MASE of the anomaly detector's centred baseline over the same days, which sees the days it
  is scored on (no forecast can be expected to do much better);
- with --seeds, the same backtests on the demo generated with other seeds (same period, structure and
  injected anomalies, other noise): a check that the model is not fitted to one realisation;
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

from growthos.analysis.anomalies import DEFAULT_METRICS, detect, detect_series, score_against_truth
from growthos.analysis.forecast import HISTORY_DAYS, backtest, forecast, mase
from growthos.analysis.series import daily_series, history_range
from growthos.config import load_settings
from growthos.core.periods import DateRange
from growthos.pipeline import build_and_check, demo_settings, load_records
from growthos.sources.demo import DEMO_SEED, anomalies_as_dicts, generate
from growthos.workspace import Workspace

RESULTS = Path(__file__).with_name("RESULTS.md")


KPIS = ("net_revenue", "orders", "sessions")


def _settings(data_dir: Path, build: bool, seed: int = DEMO_SEED):
    base = load_settings(data_dir=data_dir, app_db_url=f"sqlite:///{data_dir / 'app.db'}", engine="duckdb")
    settings = demo_settings(base).model_copy(update={"app_db_url": base.app_db_url, "engine": "duckdb",
                                                      "scheduler_enabled": False})
    if build:
        with Workspace(settings) as ws:
            load_records(ws, generate(seed=seed))
            build_and_check(ws)
    return settings


def centred_baseline_mase(engine, end, metric: str, horizon: int = 28, folds: int = 4) -> float:
    """MASE of the anomaly detector's baseline (centred windows over the whole history) on the backtest's days."""
    series = daily_series(engine, [metric], history_range(end, HISTORY_DAYS), end)[metric].trimmed()
    y, expected = series.values, detect_series(series).expected
    n = len(y)
    origins = [n - horizon * k for k in range(folds, 0, -1)]
    return sum(mase(y[o:o + horizon], expected[o:o + horizon], y[:o]) for o in origins) / len(origins)


def seed_rows(seed: int, tmp: Path) -> list[str]:
    """Backtest rows of the demo generated with `seed`."""
    data_dir = tmp / f"seed-{seed}"
    data_dir.mkdir()
    rows = []
    with Workspace(_settings(data_dir, build=True, seed=seed)) as ws:
        for metric in KPIS:
            b = backtest(ws.engine, ws.last_full_day, metric)
            rows.append(f"| {seed} | {metric} | {b['mase']:.3f} | {b['seasonal_naive_mase']:.3f} "
                        f"| {b['relative_to_naive']:.3f} | {b['coverage']['80']:.2f} | {b['coverage']['95']:.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="An already built demo workspace.")
    parser.add_argument("--seeds", type=int, nargs="*", default=[],
                        help="Also backtest the demo generated with these seeds.")
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
            say("| KPI | model MASE | seasonal naive MASE | model / naive | 80% coverage | 95% coverage "
                "| MASE per fold | centred baseline MASE (sees the future) | s |")
            say("|---|---|---|---|---|---|---|---|---|")
            for metric in KPIS:
                t = time.perf_counter()
                b = backtest(ws.engine, end, metric)
                seconds = time.perf_counter() - t
                folds = " / ".join(f"{m:.2f}" for m in b["fold_mase"])
                say(f"| {metric} | {b['mase']:.3f} | {b['seasonal_naive_mase']:.3f} | {b['relative_to_naive']:.3f} "
                    f"| {b['coverage']['80']:.2f} | {b['coverage']['95']:.2f} | {folds} "
                    f"| {centred_baseline_mase(ws.engine, end, metric):.3f} | {seconds:.1f} |")
            t = time.perf_counter()
            forecast(ws.engine, end, "net_revenue")
            say(f"One 28-day forecast of net_revenue (warm): {time.perf_counter() - t:.2f} s")
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
        if args.seeds:
            say()
            say("Forecast backtests on the demo generated with other seeds (same period, structure and anomalies):")
            say("| seed | KPI | model MASE | seasonal naive MASE | model / naive | 80% coverage | 95% coverage |")
            say("|---|---|---|---|---|---|---|")
            for seed in args.seeds:
                for row in seed_rows(seed, Path(tmp)):
                    say(row)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as fh:
        fh.write(f"\n## Forecast and anomalies ({stamp}, {platform.machine()}, Python {sys.version.split()[0]})\n\n")
        seeds = " --seeds " + " ".join(map(str, args.seeds)) if args.seeds else ""
        fh.write(f"Command: `.venv/bin/python bench/forecast.py{seeds}`\n\n")
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
