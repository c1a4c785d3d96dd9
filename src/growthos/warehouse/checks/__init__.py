"""Data-quality checks that run after every build."""

from growthos.warehouse.checks.registry import CHECKS, Check, run_checks

__all__ = ["CHECKS", "Check", "run_checks"]
