"""Budget advice: concave response curves per channel and reallocation by marginal return."""

from growthos.analysis.budget.allocate import Allocation, ChannelLimit, allocate
from growthos.analysis.budget.curves import ResponseCurve, fit_curve

__all__ = ["Allocation", "ChannelLimit", "ResponseCurve", "allocate", "fit_curve"]
