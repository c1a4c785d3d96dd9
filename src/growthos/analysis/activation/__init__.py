"""Activation: which milestones a new user met (definitions with criteria, weights, windows, prerequisites and
a core flag), an activation score per user, the activation rate and time to activate, and the onboarding
funnel's bottlenecks with recommendations. One module per job:

- ``definitions``: ActivationDefinition, Criteria, Onboarding, ActivationConfig and the demo app's defaults
- ``config``: ``load_activation_config(data_dir)`` reads ``<data dir>/activation.yaml``
- ``events``: the one warehouse read (sign-ups and their definitions' events)
- ``scoring``: ``activation_report(...)``, ``person_activation(...)``
- ``bottlenecks``: ``onboarding_bottlenecks(...)`` and its recommendation catalogue
"""

from growthos.analysis.activation.config import load_activation_config, parse_activation_config
from growthos.analysis.activation.definitions import (
    DEFAULT_CONFIG,
    ActivationConfig,
    ActivationDefinition,
    Criteria,
    Onboarding,
)
from growthos.analysis.activation.scoring import activation_report, person_activation, range_activations

__all__ = [
    "DEFAULT_CONFIG",
    "ActivationConfig",
    "ActivationDefinition",
    "Criteria",
    "Onboarding",
    "activation_report",
    "load_activation_config",
    "parse_activation_config",
    "person_activation",
    "range_activations",
]
