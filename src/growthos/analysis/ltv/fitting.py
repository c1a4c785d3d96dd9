"""Maximum likelihood on log-parameters (so every parameter stays positive), failing loudly."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize

from growthos.core.errors import GrowthOSError

MAX_LOG_PARAM = 18.0  # exp(18) ≈ 6.6e7: a parameter beyond that has run off to a boundary


class FitDidNotConverge(GrowthOSError):
    """The optimiser found no maximum of a model's likelihood on these data."""

    status = 422
    title = "Model did not converge"


def maximise(log_likelihood: Callable[[np.ndarray], float], names: tuple[str, ...], model: str) -> np.ndarray:
    """The positive parameters maximising ``log_likelihood(params)``: Nelder-Mead on their logarithms from
    all-ones, then a quasi-Newton polish. Raises FitDidNotConverge when either step fails, the likelihood
    is not finite, or a parameter runs off to 0 or infinity."""

    def objective(z: np.ndarray) -> float:
        if np.any(np.abs(z) > 2 * MAX_LOG_PARAM):
            return np.inf
        value = log_likelihood(np.exp(z))
        return -value if np.isfinite(value) else np.inf

    start = np.zeros(len(names))
    first = minimize(objective, start, method="Nelder-Mead",
                     options={"maxiter": 20_000, "maxfev": 40_000, "xatol": 1e-10, "fatol": 1e-12})
    if not first.success or not np.isfinite(first.fun):
        raise FitDidNotConverge(f"{model}: the optimiser stopped without a maximum ({first.message})",
                                field="transactions")
    polished = minimize(objective, first.x, method="BFGS", options={"gtol": 1e-9})
    best = polished if np.isfinite(polished.fun) and polished.fun <= first.fun else first
    runaway = [n for n, z in zip(names, best.x, strict=True) if abs(z) > MAX_LOG_PARAM]
    if runaway:
        raise FitDidNotConverge(f"{model}: {', '.join(runaway)} ran off to a boundary (the data do not pin "
                                "the model down: too few customers or repeat purchases)", field="transactions")
    return np.exp(best.x)
