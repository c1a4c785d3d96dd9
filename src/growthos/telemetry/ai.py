"""Track an app's AI / LLM calls: a response cache, rate limits, and one record per call (latency, tokens,
cost, cache hit, errors) sent in batches to GrowthOS' ``POST /api/analytics/ai-performance``.

    ai = AITelemetry("https://growthos.example.com", "gos_ingest_...")

    @ai.track(model="gpt-4o-mini", endpoint="summarise")          # a function that calls a model
    def summarise(text: str, user_id: str | None = None): ...

    with ai.call(model="claude-3-5-haiku", endpoint="tag", user_id=uid, prompt=text) as call:  # any code
        if call.hit:
            tags = call.value
        else:
            response = anthropic.messages.create(...)
            call.tokens(response.usage.input_tokens, response.usage.output_tokens)
            tags = parse(response)
            call.set_result(tags)                                # cached for the next identical prompt

    answer = ai.openai_chat(openai_client, endpoint="chat", model="gpt-4o-mini", messages=[...])
    client = ai.wrap_openai(openai_client, endpoint="chat")      # or a drop-in: client.chat.completions.create

    # asyncio: the same, awaited (see "Async code" below)
    answer = await ai.aopenai_chat(async_openai_client, model="gpt-4o-mini", messages=[...])
    async with ai.acall(model="claude-3-5-haiku", prompt=text) as call: ...

How a call goes:

1. **Cache.** With a prompt (and ``cache=True``) the normalised request (``prompts.cache_key``: model, prompt,
   answer-changing parameters) is looked up. A hit returns the stored answer without calling the model and
   is recorded with ``cache_hit=true``, the lookup's latency, tokens 0 and cost 0. Concurrent identical
   calls make one model call: the first leads, the others wait for its answer (``Flights``, at most
   ``flight_timeout_s``) and are recorded as cache hits; if the leader fails, the next one tries.
2. **Rate limits** (``RateLimiter``: global and per-user token buckets, default 100 a minute each) apply to
   calls that reach the model, not to cache hits. A refused call raises ``RateLimited`` (policy "raise", or
   "wait" past ``max_wait_s``) and is recorded as an error of type ``RateLimited`` with latency 0.
3. **The call** is timed from after the rate limiter (its wait is not latency) to its answer. Its tokens come
   from ``call.tokens(...)``, or for ``track``/``cached``/``openai_chat`` from the result's ``usage``
   (OpenAI's ``prompt_tokens``/``completion_tokens`` or Anthropic's ``input_tokens``/``output_tokens``, or a
   ``usage=`` function); the cost from the ``PriceTable`` (``None`` for an unknown model).
4. **Errors** are recorded (``status="error"``, ``error_type`` = the exception's class name) and re-raised
   unchanged; failed calls are never cached.

Telemetry never fails the app's call: a failing cache (say Redis is down) counts as a miss, and a failing
sender or record is logged and counted in ``stats.telemetry_failures``. Records are queued by a
``BatchSender`` (no I/O on the call's path); ``flush()`` sends them now, ``close()`` at shutdown.

Async code (asyncio) has the same calls with the same records: ``@ai.track`` on an ``async def`` returns an
``async def``; ``async with ai.acall(...)``; ``await ai.acached(async_fn, ...)``; ``await
ai.aopenai_chat(async_client, ...)``; ``ai.wrap_openai`` of an ``AsyncOpenAI``-shaped client gives one whose
``create`` is awaited. On those paths nothing blocks the event loop: policy "wait" awaits ``asyncio.sleep``
(``RateLimiter.acquire_async``), a call waiting for an identical call's answer awaits a future (``Flights``,
shared with threads), and any cache but the in-memory ``LRUCache`` (e.g. ``RedisCache``: blocking I/O) is
called through ``asyncio.to_thread``. Recording stays inline: the sender only appends to a buffer.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from growthos.telemetry.ai_async import (
    AsyncCallMethods,
    AsyncCompletions,
    AsyncTelemetryMethods,
    Flights,
    is_async_client,
)
from growthos.telemetry.ai_cache import MISS, AICache, LRUCache
from growthos.telemetry.pricing import Price, PriceTable
from growthos.telemetry.prompts import cache_key
from growthos.telemetry.rate_limit import RateLimited, RateLimiter, RateLimits
from growthos.telemetry.sender import BatchSender

log = logging.getLogger("growthos.telemetry")

T = TypeVar("T")
Usage = Callable[[Any], tuple[int, int]]

MAX_LENGTHS = {"model": 128, "provider": 64, "endpoint": 256, "error_type": 128, "user_id": 256,
               "trace_id": 64, "span_id": 32}
"""The server's limits on AI_CALL's string fields (growthos.sources.telemetry.ai_calls): longer values are cut
here, as the server refuses a whole batch with one bad record."""
MAX_LATENCY_MS = 3_600_000.0
MAX_TOKENS = 10_000_000
MAX_COST_USD = 1_000_000.0


class RecordSink(Protocol):
    """Where records go: a ``BatchSender``, or anything with ``record(dict)``."""

    def record(self, item: dict[str, Any]) -> None: ...


@dataclass
class AIStats:
    calls: int = 0
    """Calls tracked (cache hits and errors included)."""
    cache_hits: int = 0
    errors: int = 0
    telemetry_failures: int = 0
    """Cache lookups, cache stores or records that failed (the app's calls went on)."""


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()
"""For ``cache`` and ``rate_limits``: the defaults (an ``LRUCache()``; 100 a minute global and per user)."""


class AITelemetry(AsyncTelemetryMethods):
    """The AI-call wrapper of one app: its cache, rate limiter, price table and record sender.

    ``cache``: an ``AICache`` (``LRUCache``, ``RedisCache``), ``None`` for no cache; ``rate_limits``: a
    ``RateLimits`` or ``RateLimiter``, ``None`` for no limits; ``prices``: a ``PriceTable`` or a mapping of
    overrides onto the default table (model -> ``Price`` or ``(input, output)`` USD per 1M tokens);
    ``sender``: where records go (default a ``BatchSender`` to ``base_url`` with the ingest ``key``);
    ``clock``: seconds, for latency (``time.perf_counter``).
    """

    def __init__(self, base_url: str | None = None, key: str | None = None, *, cache: AICache | None = DEFAULT,
                 rate_limits: RateLimits | RateLimiter | None = DEFAULT,
                 prices: PriceTable | Mapping[str, Price | tuple[float, float]] | None = None,
                 sender: RecordSink | None = None, provider: str | None = None, flight_timeout_s: float = 120.0,
                 clock: Callable[[], float] = time.perf_counter,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if sender is None:
            if not base_url or not key:
                raise ValueError("AITelemetry needs base_url and an ingest key, or a sender")
            sender = BatchSender(base_url, key, "ai-performance")
        self.sender = sender
        self.cache: AICache | None = LRUCache() if cache is DEFAULT else cache
        if rate_limits is DEFAULT:
            rate_limits = RateLimits()
        self.limiter = RateLimiter(rate_limits) if isinstance(rate_limits, RateLimits) else rate_limits
        self.prices = prices if isinstance(prices, PriceTable) else PriceTable(prices)
        self.provider = provider
        self.flight_timeout_s = flight_timeout_s
        self.clock = clock
        self.now = now
        self.stats = AIStats()
        self._flights = Flights()
        self._lock = threading.Lock()

    # The ways in ------------------------------------------------------------------------------------------

    def call(self, *, model: str, endpoint: str | None = None, user_id: str | None = None, prompt: Any = None,
             params: Mapping[str, Any] | None = None, cache: bool = True, ttl_s: float | None = None,
             provider: str | None = None, trace_id: str | None = None, span_id: str | None = None) -> AICall:
        """A context manager tracking one call; see ``AICall``. Without ``prompt`` nothing is cached."""
        key = self._key(model, prompt, params) if cache and prompt is not None and self.cache is not None else None
        return AICall(self, model=model, endpoint=endpoint, user_id=user_id, key=key, ttl_s=ttl_s,
                      provider=provider or self.provider, trace_id=trace_id, span_id=span_id)

    acall = call
    """``call`` for ``async with ai.acall(...) as call``: the same ``AICall`` (it is both a context manager and
    an async one), named for async code."""

    def cached(self, fn: Callable[[], T], *, model: str, prompt: Any = None, params: Mapping[str, Any] | None = None,
               endpoint: str | None = None, user_id: str | None = None, usage: Usage | None = None,
               cache: bool = True, ttl_s: float | None = None, provider: str | None = None,
               trace_id: str | None = None, span_id: str | None = None) -> T:
        """``fn()`` through the cache (keyed by model, prompt and params), rate limits and records."""
        with self.call(model=model, endpoint=endpoint, user_id=user_id, prompt=prompt, params=params, cache=cache,
                       ttl_s=ttl_s, provider=provider, trace_id=trace_id, span_id=span_id) as call:
            if call.hit:
                return call.value
            result = fn()
            if inspect.iscoroutine(result):  # never cache an un-awaited coroutine as the answer
                result.close()
                raise TypeError("fn returned a coroutine: use `await ai.acached(...)` in async code")
            call.tokens(*self._usage(result, usage))
            call.set_result(result)
            return result

    def track(self, *, model: str, endpoint: str | None = None, usage: Usage | None = None, cache: bool = True,
              ttl_s: float | None = None, provider: str | None = None, user_id_arg: str = "user_id"
              ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorate a function that calls a model. The cache key is the function's qualified name and its
        arguments (``self``/``cls`` and the ``user_id_arg`` argument left out); the user is the
        ``user_id_arg`` argument when given; a ``model`` argument overrides ``model``; ``endpoint`` defaults
        to the function's qualified name. An ``async def`` function (``inspect.iscoroutinefunction``) gets an
        ``async def`` wrapper, which goes through ``acached``."""

        def decorate(fn: Callable[..., T]) -> Callable[..., T]:
            signature = inspect.signature(fn)
            name = f"{fn.__module__}.{fn.__qualname__}"

            def options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
                """``cached``'s keywords for one call; None when the arguments do not fit the signature."""
                try:
                    bound = signature.bind(*args, **kwargs)
                except TypeError:
                    return None
                bound.apply_defaults()
                arguments = {k: v for k, v in bound.arguments.items() if k not in ("self", "cls", user_id_arg)}
                user = bound.arguments.get(user_id_arg)
                chosen = arguments.get("model")
                return {"model": chosen if isinstance(chosen, str) else model,
                        "prompt": {"function": name, "arguments": arguments}, "cache": cache, "ttl_s": ttl_s,
                        "endpoint": endpoint or fn.__qualname__, "usage": usage, "provider": provider,
                        "user_id": None if user is None else str(user)}

            if inspect.iscoroutinefunction(fn):
                @functools.wraps(fn)
                async def tracked_async(*args: Any, **kwargs: Any) -> Any:
                    chosen = options(args, kwargs)
                    if chosen is None:
                        return await fn(*args, **kwargs)  # the function raises its own error about its arguments
                    return await self.acached(lambda: fn(*args, **kwargs), **chosen)

                return tracked_async

            @functools.wraps(fn)
            def tracked(*args: Any, **kwargs: Any) -> T:
                chosen = options(args, kwargs)
                if chosen is None:
                    return fn(*args, **kwargs)  # the function raises its own error about its arguments
                return self.cached(lambda: fn(*args, **kwargs), **chosen)

            return tracked

        return decorate

    def openai_chat(self, client: Any, *, endpoint: str | None = None, user_id: str | None = None,
                    cache: bool = True, ttl_s: float | None = None, trace_id: str | None = None,
                    span_id: str | None = None, **create_kwargs: Any) -> Any:
        """``client.chat.completions.create(**create_kwargs)``, tracked: cached by the normalised request
        (messages and parameters; streamed calls are not cached and report no tokens), rate-limited per
        ``user_id`` (default: the request's ``user``), tokens from ``response.usage``. For an async client
        (``AsyncOpenAI``) use ``aopenai_chat``: this raises ``TypeError`` before calling it."""
        options = self._openai_options(create_kwargs, endpoint, user_id, cache, ttl_s, trace_id, span_id)
        if is_async_client(client):
            raise TypeError("openai_chat got an async client: use `await ai.aopenai_chat(client, ...)`")
        return self.cached(lambda: client.chat.completions.create(**create_kwargs), **options)

    def wrap_openai(self, client: Any, *, endpoint: str | None = None) -> TrackedOpenAI:
        """A stand-in for an OpenAI client whose ``chat.completions.create`` goes through ``openai_chat``, or for
        an async client (``AsyncOpenAI``, see ``is_async_client``) through ``aopenai_chat`` (so it is awaited as
        the client's own is); every other attribute is the client's own."""
        return TrackedOpenAI(self, client, endpoint)

    # Sending -----------------------------------------------------------------------------------------------

    def flush(self, timeout: float = 30.0) -> bool:
        """Send the queued records now (when the sender can)."""
        flush = getattr(self.sender, "flush", None)
        return bool(flush(timeout)) if callable(flush) else True

    def close(self, timeout: float = 30.0) -> None:
        close = getattr(self.sender, "close", None)
        if callable(close):
            close(timeout)

    # Internals (never raise into the app) ------------------------------------------------------------------

    def _key(self, model: str, prompt: Any, params: Mapping[str, Any] | None) -> str | None:
        try:
            return cache_key(model, prompt, params)
        except Exception:  # an argument that cannot even be printed: go uncached
            self._failed("cache key")
            return None

    def _lookup(self, key: str) -> Any:
        try:
            return self.cache.get(key) if self.cache is not None else MISS
        except Exception:
            self._failed("cache lookup")
            return MISS

    def _store(self, key: str, value: Any, ttl_s: float | None) -> None:
        try:
            if self.cache is not None:
                self.cache.set(key, value, ttl_s)
        except Exception:
            self._failed("cache store")

    def _openai_options(self, create_kwargs: Mapping[str, Any], endpoint: str | None, user_id: str | None,
                        cache: bool, ttl_s: float | None, trace_id: str | None, span_id: str | None
                        ) -> dict[str, Any]:
        """``cached``'s keywords for a chat completion request (shared by ``openai_chat`` and ``aopenai_chat``)."""
        model = create_kwargs.get("model")
        if not isinstance(model, str) or not model:
            raise TypeError("openai_chat needs model=... (the model's name)")
        stream = bool(create_kwargs.get("stream"))
        params = {k: v for k, v in create_kwargs.items() if k not in ("model", "messages")}
        user = user_id if user_id is not None else create_kwargs.get("user")
        return {"model": model, "prompt": create_kwargs.get("messages"), "params": params,
                "endpoint": endpoint or "chat.completions", "user_id": None if user is None else str(user),
                "cache": cache and not stream, "ttl_s": ttl_s, "usage": _no_usage if stream else None,
                "provider": self.provider or "openai", "trace_id": trace_id, "span_id": span_id}

    def _usage(self, result: Any, usage: Usage | None) -> tuple[int, int]:
        try:
            return (usage or read_usage)(result)
        except Exception:
            self._failed("usage")
            return 0, 0

    def _emit(self, call: AICall, latency_s: float, error: BaseException | None) -> None:
        with self._lock:
            self.stats.calls += 1
            self.stats.cache_hits += call.hit
            self.stats.errors += error is not None
        try:
            self.sender.record(self._record(call, latency_s, error))
        except Exception:
            self._failed("record")

    def _record(self, call: AICall, latency_s: float, error: BaseException | None) -> dict[str, Any]:
        tokens_in, tokens_out = (0, 0) if call.hit else call.token_counts
        cost = 0.0 if call.hit else self.prices.cost(call.model, tokens_in, tokens_out)
        record: dict[str, Any] = {
            "model": _clip(call.model or "unknown", "model"),
            "latency_ms": min(max(latency_s * 1000.0, 0.0), MAX_LATENCY_MS),
            "tokens_in": min(tokens_in, MAX_TOKENS),
            "tokens_out": min(tokens_out, MAX_TOKENS),
            "cache_hit": call.hit,
            "status": "error" if error is not None else "ok",
            "timestamp": call.started_at.isoformat(),
        }
        if cost is not None:
            record["cost_usd"] = min(cost, MAX_COST_USD)
        optional = {"provider": call.provider, "endpoint": call.endpoint, "user_id": call.user_id,
                    "trace_id": call.trace_id, "span_id": call.span_id,
                    "error_type": type(error).__name__ if error is not None else None}
        for name, value in optional.items():
            if value is not None:
                record[name] = _clip(str(value), name)
        return record

    def _failed(self, what: str) -> None:
        with self._lock:
            self.stats.telemetry_failures += 1
        log.warning("growthos AI telemetry: %s failed; the call went on", what, exc_info=True)


class AICall(AsyncCallMethods):
    """One tracked call: ``with ai.call(...) as call`` or, in async code, ``async with ai.acall(...) as call``
    (the same object and semantics; the async form awaits the rate limiter, a concurrent identical call and a
    blocking cache instead of blocking the event loop). On a cache hit ``call.hit`` is true and ``call.value``
    holds the stored answer: use it instead of calling the model. Otherwise call the model, report
    ``call.tokens(in, out)`` and ``call.set_result(answer)`` to cache it. Leaving the block records the call
    (an exception is recorded as an error and propagates)."""

    def __init__(self, ai: AITelemetry, *, model: str, endpoint: str | None, user_id: str | None, key: str | None,
                 ttl_s: float | None, provider: str | None, trace_id: str | None, span_id: str | None) -> None:
        self.ai = ai
        self.model = model
        self.endpoint = endpoint
        self.user_id = user_id
        self.key = key
        self.ttl_s = ttl_s
        self.provider = provider
        self.trace_id = trace_id
        self.span_id = span_id
        self.hit = False
        self.value: Any = None
        self.token_counts: tuple[int, int] = (0, 0)
        self.started_at = ai.now()
        self._result: Any = MISS
        self._leader = False
        self._started = 0.0
        self._hit_latency_s = 0.0

    def tokens(self, tokens_in: int | None, tokens_out: int | None) -> None:
        """The call's input and output tokens (None counts as 0)."""
        self.token_counts = (max(int(tokens_in or 0), 0), max(int(tokens_out or 0), 0))

    def set_result(self, value: Any) -> None:
        """The answer to cache under this call's prompt when the block ends without an error."""
        self._result = value

    @property
    def cost_usd(self) -> float | None:
        """What the call cost by the price table (0 for a cache hit; None for an unknown model)."""
        return 0.0 if self.hit else self.ai.prices.cost(self.model, *self.token_counts)

    # The blocking steps; their awaiting twins (``async with``) are in ai_async.AsyncCallMethods and share
    # what is decided here (``_found``, ``_refused``, ``_latency``, ``_storable``, ``_end_flight``).

    def __enter__(self) -> AICall:
        ai = self.ai
        start = ai.clock()
        if self.key is not None and self._cached(start):
            self._hit_latency_s = ai.clock() - start
            return self
        try:
            if ai.limiter is not None:
                ai.limiter.acquire(self.user_id)
        except BaseException as exc:
            self._refused(exc)
            raise
        self._started = ai.clock()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: Any) -> bool:
        latency = self._latency()
        try:
            if self.key is not None and self._storable(exc):
                self.ai._store(self.key, self._result, self.ttl_s)
        finally:
            self._end_flight()  # after the store: waiting callers find the answer
        self.ai._emit(self, latency, exc)
        return False

    def _cached(self, start: float) -> bool:
        """Look up the key; while another call computes it, wait for that. True on a hit; otherwise this
        call leads (or the wait timed out) and goes to the model."""
        ai, key = self.ai, self.key
        assert key is not None
        deadline = start + ai.flight_timeout_s
        while True:
            ended = ai._flights.ended
            found = self._found(ai._lookup(key), ended)
            if found is not None:
                return found
            if not self._leader:
                remaining = deadline - ai.clock()
                if remaining <= 0:
                    return False
                ai._flights.wait(key, remaining)

    def _found(self, value: Any, ended: int) -> bool | None:
        """After a lookup begun when ``ended`` flights had ended: True on a hit; False when this call leads (goes
        to the model); None to look again: after waiting while another call leads, or at once when this call
        has just become the leader but a flight ended during the lookup (its answer, stored before it ended,
        may have landed after the lookup missed it: without this look, a second model call)."""
        if value is not MISS:
            self._end_flight()  # when it had become the leader only to look again
            self.hit, self.value = True, value
            return True
        if self._leader:
            return False
        assert self.key is not None
        if not self.ai._flights.begin(self.key):
            return None
        self._leader = True
        return None if self.ai._flights.ended != ended else False

    def _refused(self, exc: BaseException) -> None:
        """The rate limiter refused (or the wait was interrupted): callers waiting for this answer go on."""
        self._end_flight()
        if isinstance(exc, RateLimited):
            self.ai._emit(self, 0.0, exc)

    def _latency(self) -> float:
        return self._hit_latency_s if self.hit else self.ai.clock() - self._started

    def _storable(self, exc: BaseException | None) -> bool:
        """Whether the answer goes into the cache (when the call has a key): no error, no hit, a result set."""
        return exc is None and not self.hit and self._result is not MISS

    def _end_flight(self) -> None:
        if self._leader and self.key is not None:
            self._leader = False
            self.ai._flights.end(self.key)


class _Completions:
    def __init__(self, ai: AITelemetry, client: Any, endpoint: str | None) -> None:
        self._ai, self._client, self._endpoint = ai, client, endpoint

    def create(self, **kwargs: Any) -> Any:
        return self._ai.openai_chat(self._client, endpoint=self._endpoint, **kwargs)


class _Chat:
    def __init__(self, completions: _Completions | AsyncCompletions) -> None:
        self.completions = completions


class TrackedOpenAI:
    """An OpenAI client whose ``chat.completions.create`` is tracked (see ``AITelemetry.wrap_openai``); for an
    async client that ``create`` is a coroutine function."""

    def __init__(self, ai: AITelemetry, client: Any, endpoint: str | None = None) -> None:
        self._client = client
        completions = (AsyncCompletions(ai, client, endpoint) if is_async_client(client)
                       else _Completions(ai, client, endpoint))
        self.chat = _Chat(completions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def read_usage(result: Any) -> tuple[int, int]:
    """(tokens in, tokens out) from a response's ``usage``: OpenAI's ``prompt_tokens``/``completion_tokens``
    or Anthropic's ``input_tokens``/``output_tokens``, as attributes or dict keys; (0, 0) without usage."""
    usage = _field(result, "usage")
    if usage is None:
        return 0, 0
    for names in (("prompt_tokens", "completion_tokens"), ("input_tokens", "output_tokens")):
        tokens_in, tokens_out = (_field(usage, name) for name in names)
        if tokens_in is not None or tokens_out is not None:
            return int(tokens_in or 0), int(tokens_out or 0)
    return 0, 0


def _no_usage(_result: Any) -> tuple[int, int]:
    return 0, 0


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _clip(value: str, name: str) -> str:
    limit = MAX_LENGTHS[name]
    return value if len(value) <= limit else value[:limit]
