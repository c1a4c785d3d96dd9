"""Forecasts of daily KPIs with 80% and 95% prediction intervals, and rolling-origin backtests scored by
MASE against the seasonal naive forecast (season 7).

Model: exponential smoothing state-space models (statsmodels ETSModel) with an additive weekly season
(period 7), fitted on the log of the KPI when it is always positive (weekday effects, growth and noise are
multiplicative, and the interval stays above 0), else on the KPI itself. Two candidates, no trend (A,N,A)
and a damped additive trend (A,Ad,A), are fitted and the one with the lower AICc is kept (as AutoETS does).
Prediction intervals are the model's analytic ones on the fitted scale, mapped back by exp: a quantile of
log(y) is the log of the quantile of y, so the bands keep their coverage; the point forecast is then the
median forecast.

Ratio KPIs (MER, conversion rate, AOV, ...) are forecast as ratios: the daily ratio series itself is
modelled. Forecasting numerator and denominator separately and dividing gives no valid interval for the
ratio without a joint model of both, and the daily ratio is the series people look at.

Known holidays are not modelled; days missing from the history (a ratio over 0) are filled by linear
interpolation before fitting.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from growthos.analysis.series import DailySeries, daily_series, history_range
from growthos.core.errors import InvalidInput, NotFound
from growthos.metrics.catalogue import get_metric
from growthos.warehouse.engine import Engine

SEASON = 7
DEFAULT_HORIZON = 28
MAX_HORIZON = 180
HISTORY_DAYS = 365
"""Days of history the model sees (fewer when the data starts later)."""
MIN_HISTORY = 4 * SEASON
LEVELS = (80, 95)
BACKTEST_FOLDS = 4


@dataclass
class FittedModel:
    name: str
    log: bool
    points: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]]


@dataclass
class Forecast:
    metric: str
    model: str
    history_start: date
    history_end: date
    dates: list[date]
    points: np.ndarray
    bands: dict[int, tuple[np.ndarray, np.ndarray]]
    backtest: dict[str, Any] | None = field(default=None)

    @property
    def horizon(self) -> int:
        return len(self.dates)

    def as_dict(self) -> dict[str, Any]:
        metric = get_metric(self.metric)
        rows = []
        for i, day in enumerate(self.dates):
            row: dict[str, Any] = {"day": day.isoformat(), "forecast": _r(self.points[i])}
            for level in LEVELS:
                lo, hi = self.bands[level]
                row[f"lower_{level}"] = _r(lo[i])
                row[f"upper_{level}"] = _r(hi[i])
            rows.append(row)
        return {
            "metric": self.metric, "label": metric.label, "unit": metric.unit, "model": self.model,
            "horizon": self.horizon, "levels": list(LEVELS),
            "history_from": self.history_start.isoformat(), "history_to": self.history_end.isoformat(),
            "points": rows, "backtest": self.backtest,
        }


def _r(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 6)


def _fill(values: np.ndarray) -> np.ndarray:
    """Missing days linearly interpolated (ends held)."""
    x = np.asarray(values, dtype=float)
    ok = np.isfinite(x)
    if ok.all():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def clean_outliers(values: np.ndarray, dates: list[date]) -> np.ndarray:
    """The series with anomalous days and known holidays (analysis.anomalies) replaced by their expected
    value, so one broken day does not shift the model's level and season."""
    from growthos.analysis.anomalies import detect_series

    det = detect_series(DailySeries("", list(dates), np.asarray(values, dtype=float)))
    y = np.asarray(values, dtype=float).copy()
    replace = {a.day for a in det.anomalies} | set(det.skipped)
    for i, day in enumerate(dates):
        if day in replace and math.isfinite(det.expected[i]):
            y[i] = det.expected[i]
    return y


def fit_predict(values: np.ndarray, horizon: int, dates: list[date] | None = None) -> FittedModel:
    """Fit the ETS candidates to one daily series and forecast `horizon` days with 80%/95% intervals; with
    the series' dates, outliers are cleaned first (clean_outliers)."""
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = _fill(values)
    if dates is not None and len(y) >= MIN_HISTORY:
        y = _fill(clean_outliers(y, dates))
    if len(y) < MIN_HISTORY:
        raise NotFound(f"a forecast needs at least {MIN_HISTORY} days of history, got {len(y)}")
    log = bool((y > 0).all())
    z = pd.Series(np.log(y) if log else y, index=pd.RangeIndex(len(y)))
    best = None
    for name, trend, damped in (("ETS(A,N,A)", None, False), ("ETS(A,Ad,A)", "add", True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = ETSModel(z, error="add", trend=trend, damped_trend=damped, seasonal="add",
                               seasonal_periods=SEASON).fit(disp=False, maxiter=200)
            except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate series
                continue
        if best is None or fit.aicc < best[1].aicc:
            best = (name, fit)
    if best is None:  # pragma: no cover
        raise NotFound("no forecasting model could be fitted to this series")
    name, fit = best
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = fit.get_prediction(start=len(z), end=len(z) + horizon - 1)
        mean = np.asarray(pred.predicted_mean, dtype=float)
        bands = {}
        for level in LEVELS:
            frame = pred.summary_frame(alpha=1 - level / 100)
            bands[level] = (np.asarray(frame["pi_lower"], dtype=float), np.asarray(frame["pi_upper"], dtype=float))
    if log:
        mean = np.exp(mean)
        bands = {k: (np.exp(lo), np.exp(hi)) for k, (lo, hi) in bands.items()}
    label = f"{name} on log" if log else name
    return FittedModel(label, log, mean, bands)


def seasonal_naive(values: np.ndarray, horizon: int, season: int = SEASON) -> np.ndarray:
    """The last season repeated."""
    last = np.asarray(values, dtype=float)[-season:]
    return np.array([last[i % season] for i in range(horizon)])


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, season: int = SEASON) -> float:
    """Mean absolute error of the forecast ÷ mean absolute error of the in-sample seasonal naive forecast
    (|y_t − y_{t−season}| over the training data); < 1 beats seasonal naive's one-season-ahead error."""
    train = np.asarray(train, dtype=float)
    scale = np.nanmean(np.abs(train[season:] - train[:-season]))
    if not scale:
        return math.nan
    return float(np.nanmean(np.abs(np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float))) / scale)


def backtest_series(values: np.ndarray, horizon: int = DEFAULT_HORIZON, folds: int = BACKTEST_FOLDS,
                    dates: list[date] | None = None) -> dict[str, Any]:
    """Rolling-origin backtest: `folds` origins `horizon` days apart, the last one `horizon` days before the
    end; at each, fit on everything before it and forecast `horizon` days. MASE of the model and of the
    seasonal naive forecast (same scale), averaged over folds, and the share of actuals inside each band."""
    y = _fill(values)
    n = len(y)
    origins = [n - horizon * k for k in range(folds, 0, -1) if n - horizon * k >= MIN_HISTORY + SEASON]
    if not origins:
        raise NotFound(f"a backtest needs at least {MIN_HISTORY + SEASON + horizon} days of history, got {n}")
    rows, inside = [], {level: [] for level in LEVELS}
    for origin in origins:
        train, actual = y[:origin], y[origin:origin + horizon]
        model = fit_predict(train, horizon, dates[:origin] if dates is not None else None)
        naive = seasonal_naive(train, horizon)
        rows.append({"origin": origin, "mase": mase(actual, model.points, train),
                     "naive_mase": mase(actual, naive, train)})
        for level in LEVELS:
            lo, hi = model.bands[level]
            inside[level].extend(((actual >= lo) & (actual <= hi)).tolist())
    model_mase = float(np.mean([r["mase"] for r in rows]))
    naive_mase = float(np.mean([r["naive_mase"] for r in rows]))
    return {
        "folds": len(rows), "horizon": horizon, "season": SEASON,
        "mase": round(model_mase, 4), "seasonal_naive_mase": round(naive_mase, 4),
        "relative_to_naive": round(model_mase / naive_mase, 4) if naive_mase else None,
        "coverage": {str(level): round(float(np.mean(v)), 4) for level, v in inside.items()},
        "fold_mase": [round(r["mase"], 4) for r in rows],
    }


def _check_horizon(horizon: int) -> None:
    if not 1 <= horizon <= MAX_HORIZON:
        raise InvalidInput(f"horizon must be between 1 and {MAX_HORIZON} days, got {horizon}", field="horizon")


def _history(engine: Engine, metric: str, last_full_day: date, history_days: int) -> DailySeries:
    get_metric(metric)
    series = daily_series(engine, [metric], history_range(last_full_day, history_days), last_full_day)[metric]
    series = series.trimmed()
    if len(series) < MIN_HISTORY:
        raise NotFound(f"not enough history to forecast {metric}: {len(series)} days (at least {MIN_HISTORY})")
    return series


def forecast(engine: Engine, last_full_day: date, metric: str, horizon: int = DEFAULT_HORIZON,
             history_days: int = HISTORY_DAYS, with_backtest: bool = False) -> Forecast:
    """`metric` forecast for the `horizon` days after the last full day (`growthos forecast`, /api/forecast)."""
    _check_horizon(horizon)
    series = _history(engine, metric, last_full_day, history_days)
    model = fit_predict(series.values, horizon, series.dates)
    dates = [last_full_day + timedelta(days=i + 1) for i in range(horizon)]
    result = Forecast(metric, model.name, series.dates[0], series.dates[-1], dates, model.points, model.bands)
    if with_backtest:
        result.backtest = backtest_series(series.values, min(horizon, DEFAULT_HORIZON), dates=series.dates)
    return result


def backtest(engine: Engine, last_full_day: date, metric: str, horizon: int = DEFAULT_HORIZON,
             folds: int = BACKTEST_FOLDS, history_days: int = HISTORY_DAYS) -> dict[str, Any]:
    """Rolling-origin backtest of `metric` (see backtest_series)."""
    _check_horizon(horizon)
    series = _history(engine, metric, last_full_day, history_days)
    return {"metric": metric, **backtest_series(series.values, horizon, folds, series.dates)}
