"""Multi-touch attribution of product conversions (and their value) to marketing channels: touches from the
collected events, a registry of models (first/last touch, linear, time decay, position based, Markov removal
effect) and a report comparing them."""

from growthos.analysis.attribution.models import MODEL_LABELS, MODELS
from growthos.analysis.attribution.service import attribution_report

__all__ = ["MODELS", "MODEL_LABELS", "attribution_report"]
