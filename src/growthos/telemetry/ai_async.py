"""The asyncio half of the AI-call wrapper (``growthos.telemetry.ai``): ``async with ai.acall(...)``, ``await
ai.acached(...)``, ``await ai.aopenai_chat(...)``, and what ``@ai.track`` on an ``async def`` and
``ai.wrap_openai`` of an async client use. ``AITelemetry`` and ``AICall`` get their async methods from the
mixins here (``AsyncTelemetryMethods``, ``AsyncCallMethods``); each mirrors its blocking twin in ``ai.py`` and
shares what it decides (the cache key, ``AICall._found``, the limiter's ``_take_or_wait``, the records), so
only the waiting differs: nothing here blocks the event loop.

- Rate limits: ``await limiter.acquire_async(user)`` (policy "wait" awaits ``asyncio.sleep``).
- Cache: the in-memory ``LRUCache`` is called inline (a dict under a lock); any other cache (``RedisCache``:
  network I/O) through ``asyncio.to_thread``.
- Recording: inline, as the sender only appends to a buffer.

``Flights`` is ``SingleFlight`` (one model call per cache key at a time) whose waiters may be threads or
coroutines of any event loop: a waiting thread blocks on the flight's ``threading.Event`` as before; a waiting
coroutine awaits an ``asyncio.Future`` of its own loop, which the leader's ``end`` resolves thread-safely
(``loop.call_soon_threadsafe``). So a coroutine never blocks its loop while another call computes the answer,
and threads and coroutines asking the same question at once still make one model call between them.

``is_async_client`` tells an ``openai.AsyncOpenAI``-shaped client (its ``chat.completions.create`` is a
coroutine function, possibly behind a ``functools.wraps`` decorator as in the openai package) from a
synchronous one; ``AsyncCompletions`` is the tracked ``chat.completions`` of a wrapped async client.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from growthos.telemetry.ai_cache import LRUCache, SingleFlight

if TYPE_CHECKING:
    from growthos.telemetry.ai import AICall, AITelemetry, Usage

T = TypeVar("T")

_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class Flights(SingleFlight):
    """``SingleFlight`` with ``wait_async`` for coroutines (threads keep using ``wait``)."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters_lock = threading.Lock()
        self._waiters: dict[str, list[_Waiter]] = {}
        self._ended = 0

    @property
    def ended(self) -> int:
        """How many flights have ended so far, counted before each one is let go: a caller that missed the cache
        and then leads can tell whether a flight ended meanwhile (and so whether to look again)."""
        with self._waiters_lock:
            return self._ended

    async def wait_async(self, key: str, timeout_s: float) -> bool:
        """Until the key's leader ends (True) or ``timeout_s`` passes (False), without blocking the loop."""
        loop = asyncio.get_running_loop()
        waiter: _Waiter = (loop, loop.create_future())
        with self._waiters_lock:
            self._waiters.setdefault(key, []).append(waiter)
        try:
            # Registered first, checked second: a leader that ends after this check resolves the future; one
            # that ended before it is seen here (``wait(key, 0)`` does not block).
            if self.wait(key, 0):
                return True
            await asyncio.wait_for(waiter[1], timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            with self._waiters_lock:
                waiting = self._waiters.get(key)
                if waiting is not None and waiter in waiting:
                    waiting.remove(waiter)
                    if not waiting:
                        del self._waiters[key]

    def end(self, key: str) -> None:
        with self._waiters_lock:
            self._ended += 1
        super().end(key)  # waiting threads go on
        with self._waiters_lock:
            waiting = self._waiters.pop(key, [])
        for loop, future in waiting:
            try:
                loop.call_soon_threadsafe(_resolve, future)
            except RuntimeError:  # that loop is closed: nobody is waiting there any more
                pass


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def is_async_client(client: Any) -> bool:
    """Whether ``client.chat.completions.create`` is a coroutine function (``openai.AsyncOpenAI``). The openai
    package wraps it in a plain function (``functools.wraps``), so the unwrapped function counts too."""
    create = getattr(getattr(getattr(client, "chat", None), "completions", None), "create", None)
    if create is None:
        return False
    return inspect.iscoroutinefunction(create) or inspect.iscoroutinefunction(inspect.unwrap(create))


async def awaited(value: Any) -> Any:
    """``value``, awaited when it is awaitable."""
    return await value if inspect.isawaitable(value) else value


class AsyncCompletions:
    """The tracked ``chat.completions`` of a wrapped async client: ``await create(**kwargs)``."""

    def __init__(self, ai: AITelemetry, client: Any, endpoint: str | None) -> None:
        self._ai, self._client, self._endpoint = ai, client, endpoint

    async def create(self, **kwargs: Any) -> Any:
        return await self._ai.aopenai_chat(self._client, endpoint=self._endpoint, **kwargs)


class AsyncTelemetryMethods:
    """``AITelemetry``'s async methods (a mixin: ``self`` is the ``AITelemetry``)."""

    async def acached(self: AITelemetry, fn: Callable[[], Awaitable[T]], *, model: str, prompt: Any = None,
                      params: Mapping[str, Any] | None = None, endpoint: str | None = None,
                      user_id: str | None = None, usage: Usage | None = None, cache: bool = True,
                      ttl_s: float | None = None, provider: str | None = None, trace_id: str | None = None,
                      span_id: str | None = None) -> T:
        """``await fn()`` through the cache, rate limits and records: ``cached`` for coroutines."""
        async with self.acall(model=model, endpoint=endpoint, user_id=user_id, prompt=prompt, params=params,
                              cache=cache, ttl_s=ttl_s, provider=provider, trace_id=trace_id,
                              span_id=span_id) as call:
            if call.hit:
                return call.value
            result = await fn()
            call.tokens(*self._usage(result, usage))
            call.set_result(result)
            return result

    async def aopenai_chat(self: AITelemetry, client: Any, *, endpoint: str | None = None,
                           user_id: str | None = None, cache: bool = True, ttl_s: float | None = None,
                           trace_id: str | None = None, span_id: str | None = None, **create_kwargs: Any) -> Any:
        """``await client.chat.completions.create(**create_kwargs)`` for an ``openai.AsyncOpenAI``-shaped
        client, tracked as ``openai_chat`` tracks it (streamed calls: the ``AsyncStream`` is returned,
        uncached, with no tokens). A synchronous client's answer is taken as it is, but its call blocks the
        event loop while it runs."""
        options = self._openai_options(create_kwargs, endpoint, user_id, cache, ttl_s, trace_id, span_id)
        return await self.acached(lambda: awaited(client.chat.completions.create(**create_kwargs)), **options)

    async def _alookup(self: AITelemetry, key: str) -> Any:
        if self._cache_blocks():
            return await asyncio.to_thread(self._lookup, key)
        return self._lookup(key)

    async def _astore(self: AITelemetry, key: str, value: Any, ttl_s: float | None) -> None:
        if self._cache_blocks():
            await asyncio.to_thread(self._store, key, value, ttl_s)
        else:
            self._store(key, value, ttl_s)

    def _cache_blocks(self: AITelemetry) -> bool:
        """Whether async paths call the cache in a worker thread: every cache but the in-memory ``LRUCache``
        (``RedisCache`` does network I/O; an unknown cache may)."""
        return self.cache is not None and not isinstance(self.cache, LRUCache)


class AsyncCallMethods:
    """``AICall``'s ``async with`` protocol (a mixin: ``self`` is the ``AICall``)."""

    async def __aenter__(self: AICall) -> AICall:
        """``AICall.__enter__``, awaiting instead of blocking."""
        ai = self.ai
        start = ai.clock()
        if self.key is not None and await self._acached(start):
            self._hit_latency_s = ai.clock() - start
            return self
        try:
            if ai.limiter is not None:
                await ai.limiter.acquire_async(self.user_id)
        except BaseException as exc:
            self._refused(exc)
            raise
        self._started = ai.clock()
        return self

    async def __aexit__(self: AICall, exc_type: type[BaseException] | None, exc: BaseException | None,
                        _tb: Any) -> bool:
        latency = self._latency()
        try:
            if self.key is not None and self._storable(exc):
                await self.ai._astore(self.key, self._result, self.ttl_s)
        finally:
            self._end_flight()  # after the store: waiting callers find the answer
        self.ai._emit(self, latency, exc)
        return False

    async def _acached(self: AICall, start: float) -> bool:
        """``AICall._cached`` for coroutines: the lookup may run in a worker thread; the wait is awaited."""
        ai, key = self.ai, self.key
        assert key is not None
        deadline = start + ai.flight_timeout_s
        while True:
            ended = ai._flights.ended
            found = self._found(await ai._alookup(key), ended)
            if found is not None:
                return found
            if not self._leader:
                remaining = deadline - ai.clock()
                if remaining <= 0:
                    return False
                await ai._flights.wait_async(key, remaining)
