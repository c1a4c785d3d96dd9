"""Input checks for the store: each failure is an InvalidInput naming the field and the reason."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from growthos.core.errors import InvalidInput


def one_of(value: Any, allowed: Iterable[str], fieldname: str) -> str:
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{fieldname} must be one of {', '.join(allowed)}; got {value!r}", field=fieldname)
    return value


def identifier(value: Any, fieldname: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{fieldname} must be an integer; got {value!r}", field=fieldname)
    return value


def text(value: Any, fieldname: str, *, max_length: int | None = None, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{fieldname} must be a string; got {type(value).__name__}", field=fieldname)
    if not allow_empty and not value.strip():
        raise InvalidInput(f"{fieldname} must not be empty", field=fieldname)
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"{fieldname} must be at most {max_length} characters; got {len(value)}", field=fieldname)
    return value


def int_range(value: Any, fieldname: str, *, minimum: int, maximum: int | None = None) -> int:
    identifier(value, fieldname)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidInput(f"{fieldname} must be {bound}; got {value}", field=fieldname)
    return value


def finite_number(value: Any, fieldname: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{fieldname} must be a number or None; got {type(value).__name__}", field=fieldname)
    if not math.isfinite(value):
        raise InvalidInput(f"{fieldname} must be a finite number; got {value!r}", field=fieldname)
    return float(value)


def aware(value: Any, fieldname: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInput(f"{fieldname} must be a datetime; got {type(value).__name__}", field=fieldname)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{fieldname} must be time-zone aware", field=fieldname)
    return value


def json_object(value: Any, fieldname: str) -> dict[str, Any]:
    """A dict storable as JSON on both backends (None means empty; tuples come back as lists)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{fieldname} must be a JSON object (dict); got {type(value).__name__}", field=fieldname)
    _check_json(value, fieldname, fieldname)
    return value


def row_counts(value: Any, fieldname: str) -> dict[str, int]:
    counts = json_object(value, fieldname)
    for key, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInput(
                f"{fieldname}[{key!r}] must be a non-negative integer row count; got {count!r}", field=fieldname
            )
    return counts


def _check_json(value: Any, path: str, fieldname: str) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{path}: {value!r} is not representable in JSON", field=fieldname)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{path}: key {key!r} must be a string", field=fieldname)
            _check_json(item, f"{path}[{key!r}]", fieldname)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]", fieldname)
        return
    raise InvalidInput(f"{path}: {type(value).__name__} is not JSON-serialisable", field=fieldname)
