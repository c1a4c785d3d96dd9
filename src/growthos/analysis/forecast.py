"""Forecasts of daily KPIs with 80% and 95% prediction intervals, and rolling-origin backtests scored by
MASE against the seasonal naive forecast (season 7).

Model, for one daily series (fit_predict):

1. Scale. The log of the KPI when it is always positive (weekday effects, growth and noise are
   multiplicative, and the interval stays above 0), else the KPI itself. Days missing from the history
   (a ratio over 0) are filled by linear interpolation.
2. Cleaning. The anomaly detector (analysis.anomalies: a robust weekly baseline) marks anomalous days and
   known holidays (its US retail calendar); they are replaced by the baseline before fitting, so one
   broken day does not shift the model's level and season.
3. Holidays. Each holiday in the history has an effect: its value minus the baseline, on the fitted scale.
   A holiday in the horizon gets the mean effect of the same holiday in the history; one not seen yet gets
   the mean effect of all the holidays seen (none seen: no effect). The spread of the seen effects (their
   standard deviation, or the one effect's size) is added to that day's interval.
4. Model. An exponential smoothing state-space model with a damped additive trend and an additive weekly
   season, ETS(A,Ad,A) (statsmodels ETSModel, fitted by maximum likelihood); ETS(A,N,A) only if it cannot be
   fitted. The damped trend nests a flat one (initial slope and trend smoothing 0); it forecast as well as
   choosing between the two by AICc in backtests on several demo generations, with half the fits.
5. Intervals. The model's analytic normal intervals on the fitted scale, widened by an empirical factor
   (conformal calibration): the model is refitted at up to CALIBRATION_FOLDS earlier origins of the history,
   CALIBRATION_HORIZON days apart, and forecasts the uncleaned history after each (holidays left out); the
   factor for level L is the L% quantile of |error| ÷ the analytic standard deviation, over the normal
   quantile — at least 1, as the analytic band ignores parameter uncertainty and level shifts. Bands map
   back by exp: a quantile of log(y) is the log of the quantile of y, so the bands keep their coverage; the
   point forecast is then the median forecast (the one that minimises absolute error, as MASE scores).

Ratio KPIs (MER, conversion rate, AOV, ...) are forecast as ratios: the daily ratio series itself is
modelled. Forecasting numerator and denominator separately and dividing gives no valid interval for the
ratio without a joint model of both, and the daily ratio is the series people look at.

Not modelled: events outside the holiday calendar (promotions, a New Year lift), yearly seasonality (the
history is at most HISTORY_DAYS days), and a day of the horizon being anomalous.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import NormalDist
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
CALIBRATION_FOLDS = 3
"""Earlier origins at which the model is refitted to calibrate its intervals."""
CALIBRATION_HORIZON = 28
"""Days forecast from each calibration origin (fewer when the horizon is shorter)."""
MIN_CALIBRATION_ERRORS = 20
"""Fewer calibration errors than this (a short history): the analytic intervals are kept as they are."""
MODELS = (("ETS(A,Ad,A)", "add", True), ("ETS(A,N,A)", None, False))
"""(name, trend, damped) in order of preference: the first that can be fitted is used."""


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


def _z(level: int) -> float:
    """The standard normal quantile of a two-sided `level`% interval."""
    return NormalDist().inv_cdf(0.5 + level / 200)


def _fill(values: np.ndarray) -> np.ndarray:
    """Missing days linearly interpolated (ends held)."""
    x = np.asarray(values, dtype=float)
    ok = np.isfinite(x)
    if ok.all():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


@dataclass
class Prepared:
    """One history ready to fit: the series on the fitted scale, cleaned and not, and its holiday effects."""

    log: bool
    clean: np.ndarray
    """Anomalous days and holidays replaced by the detector's baseline."""
    raw: np.ndarray
    """As observed, holidays NaN (they are modelled apart): what calibration forecasts are scored against."""
    effects: dict[date, float]
    """Holiday in the history -> its value minus the baseline."""


def prepare(values: np.ndarray, dates: list[date] | None) -> Prepared:
    """The history on the fitted scale (log when always positive); without dates, nothing is cleaned."""
    from growthos.analysis.anomalies import detect_series

    y = _fill(values)
    log = bool((y > 0).all())
    raw = np.log(y) if log else y
    if dates is None or len(y) < MIN_HISTORY:
        return Prepared(log, raw, raw, {})
    det = detect_series(DailySeries("", list(dates), y))
    expected = np.where(np.isfinite(det.expected), det.expected, y)  # > 0 when y is: the detector logs it too
    expected = np.log(expected) if log else expected
    holidays = set(det.skipped)
    replace = holidays | {a.day for a in det.anomalies}
    is_holiday = np.array([d in holidays for d in dates])
    clean = np.where([d in replace for d in dates], expected, raw)
    effects = {d: float(raw[i] - expected[i]) for i, d in enumerate(dates) if is_holiday[i]}
    return Prepared(log, clean, np.where(is_holiday, math.nan, raw), effects)


def clean_outliers(values: np.ndarray, dates: list[date]) -> np.ndarray:
    """The series with anomalous days and known holidays (analysis.anomalies) replaced by their expected
    value, on the KPI's own scale."""
    p = prepare(values, dates)
    return np.exp(p.clean) if p.log else p.clean


def holiday_adjustment(effects: dict[date, float], days: list[date]) -> tuple[np.ndarray, np.ndarray]:
    """(shift, extra standard deviation) of each day on the fitted scale: 0 on normal days; on a holiday,
    the mean effect of the same holiday in `effects`, else the mean of all of them, and their spread."""
    from growthos.analysis.anomalies import retail_holidays

    shift, extra = np.zeros(len(days)), np.zeros(len(days))
    if not effects:
        return shift, extra
    names = retail_holidays({d.year for d in [*effects, *days]})
    seen: dict[str, list[float]] = {}
    for day, effect in effects.items():
        seen.setdefault(names[day], []).append(effect)
    values = np.array(list(effects.values()))
    pooled = float(values.mean())
    spread = float(values.std()) if len(values) > 1 else abs(pooled)
    for i, day in enumerate(days):
        if day in names:
            same = seen.get(names[day])
            shift[i] = float(np.mean(same)) if same else pooled
            extra[i] = spread
    return shift, extra


def _fit(z: np.ndarray, models: tuple[tuple[str, str | None, bool], ...] = MODELS,
         start: np.ndarray | None = None) -> tuple[str, Any]:
    """The first of `models` that can be fitted to `z`, from `start` parameters if given: (name, results)."""
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    series = pd.Series(z, index=pd.RangeIndex(len(z)))
    for name, trend, damped in models:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = ETSModel(series, error="add", trend=trend, damped_trend=damped, seasonal="add",
                                 seasonal_periods=SEASON)
                return name, model.fit(disp=False, maxiter=200, start_params=start)
            except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate series
                continue
    raise NotFound("no forecasting model could be fitted to this series")  # pragma: no cover


def _predict(fit: Any, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, standard deviation) of the next `horizon` days on the fitted scale."""
    n = int(fit.nobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = fit.get_prediction(start=n, end=n + horizon - 1)
        mean = np.array(pred.predicted_mean, dtype=float)
        sd = np.sqrt(np.maximum(np.asarray(pred.var_pred_mean, dtype=float), 0.0))
    return mean, sd


def calibration(prepared: Prepared, name: str, fit: Any, horizon: int) -> dict[int, float]:
    """Factor per level by which the analytic band of the fitted model `name` is widened (see the module
    docstring, 5); the refits start from its parameters."""
    model = tuple(m for m in MODELS if m[0] == name)
    h = min(horizon, CALIBRATION_HORIZON)
    n = len(prepared.clean)
    scores: list[float] = []
    for k in range(1, CALIBRATION_FOLDS + 1):
        origin = n - h * k
        if origin < MIN_HISTORY + SEASON:
            break
        _, refit = _fit(prepared.clean[:origin], model, start=np.asarray(fit.params))
        mean, sd = _predict(refit, h)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.abs(prepared.raw[origin:origin + h] - mean) / sd
        scores.extend(u[np.isfinite(u)].tolist())
    if len(scores) < MIN_CALIBRATION_ERRORS:
        return {level: 1.0 for level in LEVELS}
    return {level: max(1.0, float(np.quantile(scores, level / 100)) / _z(level)) for level in LEVELS}


def fit_predict(values: np.ndarray, horizon: int, dates: list[date] | None = None) -> FittedModel:
    """Fit the model to one daily series and forecast `horizon` days with 80%/95% intervals (see the module
    docstring); without the series' dates, no cleaning and no holidays."""
    if len(values) < MIN_HISTORY:
        raise NotFound(f"a forecast needs at least {MIN_HISTORY} days of history, got {len(values)}")
    prepared = prepare(values, dates)
    name, fit = _fit(prepared.clean)
    mean, sd = _predict(fit, horizon)
    factors = calibration(prepared, name, fit, horizon)
    shift, extra = np.zeros(horizon), np.zeros(horizon)
    if dates is not None:
        days = [dates[-1] + timedelta(days=i + 1) for i in range(horizon)]
        shift, extra = holiday_adjustment(prepared.effects, days)
    mean = mean + shift
    bands = {}
    for level in LEVELS:
        half = _z(level) * np.sqrt((factors[level] * sd) ** 2 + extra ** 2)
        bands[level] = (mean - half, mean + half)
    if prepared.log:
        mean = np.exp(mean)
        bands = {k: (np.exp(lo), np.exp(hi)) for k, (lo, hi) in bands.items()}
    return FittedModel(f"{name} on log" if prepared.log else name, prepared.log, mean, bands)


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
