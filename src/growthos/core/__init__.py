"""Shared building blocks used by every layer: errors, periods, money."""
