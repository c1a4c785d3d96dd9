"""Cache keys for AI calls: a request normalised so that requests that must get the same answer get the same
key, then hashed (SHA-256, hex).

Part of the key:

- the model name, exactly as given;
- the prompt — a string, or a list of chat messages, or any JSON-like value — with every string's runs of
  whitespace collapsed to one space and its ends stripped (so ``"Hi  there\\n"`` and ``"Hi there"`` share a
  key; letter case and punctuation are kept);
- every request parameter except those in ``IGNORED_PARAMS``: temperature, top_p, max_tokens, seed, stop,
  n, presence/frequency penalties, logit_bias, response_format, tools, tool_choice, reasoning effort and any
  parameter this module does not know (an unknown parameter may change the answer, so it is kept).

Not part of the key: ``IGNORED_PARAMS`` (who asks, transport and bookkeeping options: ``user``, ``timeout``,
``extra_headers``, ``metadata``, ``store``, ``stream_options``, ``service_tier``), and the app's own
``user_id``: two users sending the identical prompt share the answer.

Values are written as JSON with sorted keys and no spaces; dict keys are strings; a float equal to an
integer is written as that integer (``temperature=0`` and ``0.0`` share a key); tuples and lists are the
same; sets are sorted; objects with ``model_dump()`` (pydantic) or dataclasses are written as their fields;
anything else as ``<type name>:<repr>``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

KEY_VERSION = 1
"""Part of every key: bumping it when the normalisation changes retires all old keys at once."""

IGNORED_PARAMS: frozenset[str] = frozenset({
    "user", "timeout", "extra_headers", "extra_query", "metadata", "store", "stream_options", "service_tier",
})
"""Request parameters that do not change the answer, so they are left out of the key."""

_WHITESPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Runs of whitespace collapsed to one space, ends stripped."""
    return _WHITESPACE.sub(" ", text).strip()


def canonical(value: Any) -> Any:
    """A JSON-ready copy of ``value`` with strings normalised (see the module's docstring)."""
    if isinstance(value, str):
        return normalise_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=_json)
    if isinstance(value, bytes):
        return {"bytes": hashlib.sha256(value).hexdigest()}
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return canonical(dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return canonical(dataclasses.asdict(value))
    return f"{type(value).__qualname__}:{value!r}"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_request(model: str, prompt: Any, params: Mapping[str, Any] | None = None) -> str:
    """The normalised request as stable JSON: what the key is the hash of."""
    kept = {name: value for name, value in (params or {}).items() if name not in IGNORED_PARAMS}
    return _json({"v": KEY_VERSION, "model": model, "prompt": canonical(prompt), "params": canonical(kept)})


def cache_key(model: str, prompt: Any, params: Mapping[str, Any] | None = None) -> str:
    """SHA-256 (hex) of the normalised request."""
    return hashlib.sha256(canonical_request(model, prompt, params).encode()).hexdigest()


def chat_key(create_kwargs: Mapping[str, Any]) -> str:
    """The key of an OpenAI-style ``chat.completions.create(**create_kwargs)``: model and messages, with the
    other arguments as parameters."""
    params = {k: v for k, v in create_kwargs.items() if k not in ("model", "messages")}
    return cache_key(str(create_kwargs.get("model", "")), create_kwargs.get("messages"), params)
