"""The AI-call wrapper in async code (each test drives its own loop with ``asyncio.run``): ``@ai.track`` on an
``async def``, ``async with ai.acall``, ``await ai.aopenai_chat`` and ``wrap_openai`` of an async client record
what their blocking twins record (latency on an injected clock, tokens, cost worked out by hand from the price
table, cache hits, errors); identical calls make one model call, also across threads and coroutines; and the
"wait" rate limit, a wait for an identical call and a blocking cache never block the event loop (another
coroutine keeps running meanwhile; the limiter's blocking sleep is made to fail)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from support.aio import run

from growthos.telemetry.ai import AITelemetry
from growthos.telemetry.ai_async import Flights, is_async_client
from growthos.telemetry.ai_cache import MISS
from growthos.telemetry.rate_limit import RateLimited, RateLimiter, RateLimits

MESSAGES = [{"role": "system", "content": "You summarise."}, {"role": "user", "content": "Summarise this text."}]


class Clock:
    """Seconds that move only when the fake model answers (or a test says so)."""

    def __init__(self, now: float = 50.0) -> None:
        self.now = now
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class VirtualTime(Clock):
    """A clock with an async ``sleep`` on it: sleeping lets the other tasks run (a turn of the loop), then moves
    the clock on to the sleeper's wake-up time (never back). Tasks that sleep together wake together."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.sleeps = 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        wake = self() + seconds
        await asyncio.sleep(0)
        with self.lock:
            self.now = max(self.now, wake)


def blocking_sleep(seconds: float) -> None:
    raise AssertionError("an async call slept the thread (and so the event loop)")


class Sink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, item: dict[str, Any]) -> None:
        with self.lock:
            self.records.append(item)


@dataclass
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass
class ChatCompletion:
    id: str
    model: str
    content: str
    usage: Usage


class APITimeoutError(Exception):
    """As openai.APITimeoutError is named."""


@dataclass
class AsyncCompletions:
    """``AsyncOpenAI().chat.completions``: ``create`` is a coroutine function. The model answers after
    ``gate`` (when given) and ``latency_s`` on ``clock``; ``failures`` are raised by the first calls."""

    clock: Clock
    latency_s: float = 0.25
    tokens: tuple[int, int] = (1200, 300)
    failures: list[Exception] = field(default_factory=list)
    gate: asyncio.Event | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def create(self, **kwargs: Any) -> ChatCompletion:
        self.calls.append(kwargs)
        n = len(self.calls)
        if self.gate is not None:
            await self.gate.wait()
        self.clock.advance(self.latency_s)
        if self.failures:
            raise self.failures.pop(0)
        return ChatCompletion(f"chatcmpl-{n}", f"{kwargs['model']}-2024-07-18", f"answer {n}", Usage(*self.tokens))


def required_args(fn: Callable[..., Any]) -> Callable[..., Any]:
    """As the openai package decorates ``AsyncCompletions.create``: a plain function around the coroutine one."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


class OpenAIShapedCompletions(AsyncCompletions):
    create = required_args(AsyncCompletions.create)  # type: ignore[assignment]


@dataclass
class Chat:
    completions: Any


@dataclass
class FakeOpenAI:
    """An OpenAI client's shape: ``client.chat.completions.create``."""

    chat: Chat
    api_key: str = "sk-test"


def async_client(clock: Clock, completions: type[AsyncCompletions] = AsyncCompletions, **options: Any) -> FakeOpenAI:
    return FakeOpenAI(Chat(completions(clock, **options)))


def telemetry(clock: Clock, sink: Any = None, **options: Any) -> AITelemetry:
    options.setdefault("rate_limits", None)
    return AITelemetry(sender=sink if sink is not None else Sink(), clock=clock, **options)


async def while_running(work: Awaitable[Any], observe: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """Run ``work`` while another coroutine keeps calling ``observe`` at every turn of the loop: what it saw
    is proof the loop was free meanwhile."""
    seen: list[Any] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        while not done.is_set():
            seen.append(observe())
            await asyncio.sleep(0)

    beat = asyncio.create_task(heartbeat())
    try:
        result = await work
    finally:
        done.set()
        await beat
    return result, seen


# What is recorded ------------------------------------------------------------------------------------------------

def test_aopenai_chat_records_latency_tokens_and_cost_and_caches_the_answer() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    client = async_client(clock)

    async def main() -> tuple[ChatCompletion, ChatCompletion]:
        first = await ai.aopenai_chat(client, endpoint="summarise", model="gpt-4o-mini", messages=MESSAGES,
                                      temperature=0, user="user-7")
        again = await ai.aopenai_chat(client, endpoint="summarise", model="gpt-4o-mini", messages=MESSAGES,
                                      temperature=0.0, user="user-8")
        return first, again

    first, again = run(main())
    assert again is first and first.content == "answer 1"
    assert client.chat.completions.calls == [{"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0,
                                              "user": "user-7"}]  # the second never reached the client
    model_call, hit = sink.records
    # gpt-4o-mini: $0.15 in and $0.60 out per 1M tokens -> 1200 x 0.15/1e6 + 300 x 0.60/1e6 = 0.00018 + 0.00018
    assert model_call["cost_usd"] == pytest.approx(0.00036)
    assert model_call | {"cost_usd": 0, "timestamp": ""} == {
        "model": "gpt-4o-mini", "provider": "openai", "endpoint": "summarise", "user_id": "user-7",
        "latency_ms": 250.0, "tokens_in": 1200, "tokens_out": 300, "cache_hit": False, "status": "ok",
        "cost_usd": 0, "timestamp": ""}
    assert (hit["cache_hit"], hit["latency_ms"], hit["tokens_in"], hit["cost_usd"], hit["user_id"]) == (
        True, 0.0, 0, 0.0, "user-8")
    assert (ai.stats.calls, ai.stats.cache_hits, ai.stats.errors) == (2, 1, 0)


def test_the_decorator_on_an_async_function() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    calls: list[str] = []

    class Tagger:
        @ai.track(model="claude-3-5-haiku-20241022", endpoint="tag")
        async def tag(self, text: str, style: str = "short", user_id: str | None = None) -> dict:
            calls.append(text)
            await asyncio.sleep(0)
            clock.advance(0.8)
            return {"tags": ["a"], "usage": {"input_tokens": 2000, "output_tokens": 500}}

    tagger = Tagger()
    assert inspect.iscoroutinefunction(Tagger.tag) and Tagger.tag.__name__ == "tag"

    async def main() -> list[dict]:
        return [await tagger.tag("Soup  recipe", user_id="u1"), await Tagger().tag("Soup recipe", "short", "u2"),
                await tagger.tag("Soup recipe", style="long")]

    first, same, other = run(main())
    assert same is first and other == first and calls == ["Soup  recipe", "Soup recipe"]  # another style, another key
    model_call, hit, second_call = sink.records
    # claude-3-5-haiku (a dated snapshot of it): $0.80 in, $4.00 out -> 2000 x 0.8/1e6 + 500 x 4/1e6 = 0.0036
    assert model_call["cost_usd"] == pytest.approx(0.0036) and second_call["cost_usd"] == pytest.approx(0.0036)
    assert (model_call["latency_ms"], model_call["tokens_in"], model_call["tokens_out"], model_call["user_id"]) == (
        pytest.approx(800.0), 2000, 500, "u1")
    assert (hit["cache_hit"], hit["user_id"], hit["endpoint"], hit["tokens_in"]) == (True, "u2", "tag", 0)
    assert "user_id" not in second_call

    with pytest.raises(TypeError):
        run(tagger.tag())  # the function's own argument error, untracked
    assert len(sink.records) == 3


def test_the_async_context_manager() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink, provider="acme")

    async def ask() -> str:
        async with ai.acall(model="acme-large", endpoint="draft", user_id="ann", prompt="Write a haiku") as call:
            if call.hit:
                return call.value
            await asyncio.sleep(0)
            clock.advance(1.5)
            call.tokens(40, 17)
            call.set_result("five seven five")
            assert call.cost_usd is None  # unknown model: unknown cost, not 0
            return "five seven five"

    async def fails() -> None:
        async with ai.acall(model="acme-large", prompt="Write a limerick") as call:
            call.set_result("half done")
            raise KeyError("parse failed")

    async def main() -> list[str]:
        answers = [await ask(), await ask()]
        with pytest.raises(KeyError):
            await fails()
        async with ai.acall(model="acme-large", prompt="Write a limerick") as call:
            assert not call.hit  # the failed block cached nothing
        return answers

    assert run(main()) == ["five seven five"] * 2
    model_call, hit, error, retry = sink.records
    assert "cost_usd" not in model_call and (model_call["tokens_in"], model_call["tokens_out"]) == (40, 17)
    assert (model_call["latency_ms"], model_call["provider"], model_call["user_id"]) == (1500.0, "acme", "ann")
    assert hit["cache_hit"] and hit["cost_usd"] == 0.0
    assert (error["status"], error["error_type"], retry["status"], retry["cache_hit"]) == (
        "error", "KeyError", "ok", False)


def test_errors_are_re_raised_and_recorded() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    timeout = APITimeoutError("timed out")
    client = async_client(clock, failures=[timeout, timeout], latency_s=30.0)

    async def main() -> None:
        for _ in range(2):
            with pytest.raises(APITimeoutError) as raised:
                await ai.aopenai_chat(client, endpoint="chat", model="gpt-4o", messages=MESSAGES)
            assert raised.value is timeout

    run(main())
    assert len(client.chat.completions.calls) == 2  # a failed call is never cached
    assert [(r["status"], r["error_type"], r["latency_ms"], r["cache_hit"], r["tokens_in"]) for r in sink.records] == [
        ("error", "APITimeoutError", 30_000.0, False, 0)] * 2
    assert ai.stats.errors == 2


def test_streamed_async_calls_are_not_cached() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    client = async_client(clock)

    async def main() -> None:
        for _ in range(2):
            await ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES, stream=True)

    run(main())
    assert len(client.chat.completions.calls) == 2
    assert [(r["cache_hit"], r["tokens_in"]) for r in sink.records] == [(False, 0), (False, 0)]


# Async clients ---------------------------------------------------------------------------------------------------

def test_wrap_openai_of_an_async_client_is_an_awaited_drop_in() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    raw = async_client(clock, OpenAIShapedCompletions)  # create is a plain function, as the openai package has it
    assert not inspect.iscoroutinefunction(raw.chat.completions.create) and is_async_client(raw)
    client = ai.wrap_openai(raw, endpoint="assistant")
    assert inspect.iscoroutinefunction(client.chat.completions.create) and client.api_key == "sk-test"

    async def main() -> None:
        first = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES) is first
        with pytest.raises(TypeError, match="model"):
            await client.chat.completions.create(messages=MESSAGES)

    run(main())
    assert len(raw.chat.completions.calls) == 1
    assert [(r["endpoint"], r["cache_hit"]) for r in sink.records] == [("assistant", False), ("assistant", True)]


def test_the_blocking_helpers_refuse_coroutines() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    client = async_client(clock)
    with pytest.raises(TypeError, match="aopenai_chat"):
        ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES)
    assert client.chat.completions.calls == [] and sink.records == []  # refused before anything happened

    async def answer() -> str:
        return "never awaited"

    for _ in range(2):  # an un-awaited coroutine is never the cached answer
        with pytest.raises(TypeError, match="acached"):
            ai.cached(answer, model="gpt-4o-mini", prompt="p")
    assert [(r["status"], r["error_type"]) for r in sink.records] == [("error", "TypeError")] * 2


def test_a_blocking_cache_is_called_off_the_loop_and_a_broken_one_is_a_miss() -> None:
    class ThreadNotingCache:
        def __init__(self, broken: bool = False) -> None:
            self.broken = broken
            self.threads: list[int] = []
            self.entries: dict[str, Any] = {}

        def get(self, key: str) -> Any:
            self.threads.append(threading.get_ident())
            if self.broken:
                raise ConnectionError("redis is down")
            return self.entries.get(key, MISS)

        def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
            self.threads.append(threading.get_ident())
            if self.broken:
                raise ConnectionError("redis is down")
            self.entries[key] = value

        def delete(self, key: str) -> None: ...

        def clear(self) -> None: ...

    for broken in (False, True):
        clock = Clock()
        cache = ThreadNotingCache(broken)
        ai = telemetry(clock, cache=cache)
        client = async_client(clock)

        async def main(ai: AITelemetry = ai, client: FakeOpenAI = client) -> list[str]:
            return [(await ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES)).id for _ in range(2)]

        ids = run(main())
        assert threading.get_ident() not in cache.threads  # asyncio.run's loop runs on this thread
        if broken:
            assert ids == ["chatcmpl-1", "chatcmpl-2"] and len(cache.threads) == 4  # two lookups, two stores
            assert ai.stats.telemetry_failures == 4
        else:
            assert ids == ["chatcmpl-1", "chatcmpl-1"] and len(cache.threads) == 3  # miss, store, hit


# Rate limits -----------------------------------------------------------------------------------------------------

def test_the_wait_policy_awaits_and_fifty_tasks_never_beat_the_limit() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(RateLimits(global_per_minute=10, per_user_per_minute=None, policy="wait", max_wait_s=1e9),
                          clock=vt, sleep=blocking_sleep, async_sleep=vt.sleep)
    passed: list[float] = []

    async def one() -> float:
        waited = await limiter.acquire_async()
        passed.append(vt())
        return waited

    async def all_of_them() -> list[float]:
        return await asyncio.gather(*(one() for _ in range(50)))

    waits, seen = run(while_running(all_of_them(), lambda: len(passed)))
    # 10 a minute: a bucket of 10, refilled at one token every 6 s. The 10 first pass at once; the other 40
    # come through one per 6 s, so the last at 40 x 6 = 240 s; by any time t at most 10 + t / 6 have passed.
    assert len(passed) == 50 and passed[:10] == [0.0] * 10
    assert passed[10:] == [pytest.approx(6.0 * k) for k in range(1, 41)]
    assert all(i + 1 <= 10 + t / 6.0 + 1e-9 for i, t in enumerate(passed))
    assert sorted(waits)[-1] == pytest.approx(240.0) and limiter._global.tokens >= -1e-9
    # The loop was free while tasks waited: the heartbeat saw every count from 10 to 50 go by.
    assert set(range(10, 51)) <= set(seen) and vt.sleeps >= 40


def test_fifty_concurrent_calls_wait_for_the_limit_without_blocking_the_loop() -> None:
    clock, vt, sink = Clock(), VirtualTime(), Sink()
    limiter = RateLimiter(RateLimits(global_per_minute=10, per_user_per_minute=5, policy="wait", max_wait_s=1e9),
                          clock=vt, sleep=blocking_sleep, async_sleep=vt.sleep)
    ai = telemetry(clock, sink, rate_limits=limiter)
    client = async_client(clock)
    called_at: list[float] = []
    create = client.chat.completions.create

    async def timed_create(**kwargs: Any) -> Any:
        called_at.append(vt())
        return await create(**kwargs)

    client.chat.completions.create = timed_create  # type: ignore[method-assign]

    async def ask(i: int) -> Any:
        return await ai.aopenai_chat(client, model="gpt-4o-mini", user=f"user-{i % 10}",
                                     messages=[{"role": "user", "content": f"question {i}"}])

    async def all_of_them() -> list[Any]:
        return await asyncio.gather(*(ask(i) for i in range(50)))

    answers, seen = run(while_running(all_of_them(), lambda: len(called_at)))
    assert len({a.id for a in answers}) == 50 and len(sink.records) == 50
    # Ten users with five each fit their own buckets; the global bucket of 10 a minute is the limit that binds.
    assert all(i + 1 <= 10 + t / 6.0 + 1e-9 for i, t in enumerate(called_at)) and called_at[-1] == pytest.approx(240)
    # The wait is not latency: every call took the model's 250 ms.
    assert {(r["status"], r["latency_ms"]) for r in sink.records} == {("ok", 250.0)}
    assert set(range(10, 51)) <= set(seen)


def test_a_refused_async_call_is_recorded_and_cache_hits_pass() -> None:
    clock, sink = Clock(), Sink()
    frozen = RateLimiter(RateLimits(global_per_minute=1, per_user_per_minute=None), clock=lambda: 0.0)
    ai = telemetry(clock, sink, rate_limits=frozen)
    client = async_client(clock)

    async def main() -> None:
        await ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES)
        with pytest.raises(RateLimited, match="global allows 1 calls per minute"):
            await ai.aopenai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "other"}])
        await ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES)  # a cache hit passes

    run(main())
    assert len(client.chat.completions.calls) == 1
    assert [(r["status"], r.get("error_type"), r["cache_hit"], r["latency_ms"]) for r in sink.records] == [
        ("ok", None, False, 250.0), ("error", "RateLimited", False, 0.0), ("ok", None, True, 0.0)]


# Identical calls at once -----------------------------------------------------------------------------------------

def test_fifty_identical_calls_at_once_make_one_model_call() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)

    async def main() -> tuple[list[Any], list[Any]]:
        gate = asyncio.Event()
        client = async_client(clock, gate=gate)
        tasks = [asyncio.create_task(ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES))
                 for _ in range(50)]
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(client.chat.completions.calls) == 1 and not any(t.done() for t in tasks)
        gate.set()  # the one model call answers; the 49 others were waiting for it
        return await asyncio.gather(*tasks), client.chat.completions.calls

    answers, calls = run(main())
    assert len(calls) == 1 and all(a is answers[0] for a in answers)
    assert sorted(r["cache_hit"] for r in sink.records) == [False] + [True] * 49
    assert sum(r["tokens_in"] for r in sink.records) == 1200


def test_when_the_leader_fails_the_next_caller_goes_to_the_model() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)

    async def main() -> list[Any]:
        gate = asyncio.Event()
        client = async_client(clock, gate=gate, failures=[APITimeoutError()])
        tasks = [asyncio.create_task(ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES))
                 for _ in range(3)]
        await asyncio.sleep(0)
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert len(client.chat.completions.calls) == 2
        return results

    failed, answer, same = run(main())
    assert isinstance(failed, APITimeoutError) and answer.id == "chatcmpl-2" and same is answer
    assert [(r["status"], r["cache_hit"]) for r in sink.records] == [("error", False), ("ok", False), ("ok", True)]


def test_a_lookup_that_misses_just_before_the_leader_stores_still_makes_no_second_call() -> None:
    """Two identical calls; one lookup (in a worker thread, as for Redis) is slow: it answers "miss" only after
    the other call has gone to the model, stored the answer and ended its flight. The slow one then leads, but
    a flight ended during its lookup, so it looks again and finds the answer."""

    class SlowSecondLookup:
        def __init__(self) -> None:
            self.entries: dict[str, Any] = {}
            self.gets = 0
            self.lock = threading.Lock()
            self.hold = threading.Event()

        def get(self, key: str) -> Any:
            with self.lock:
                self.gets += 1
                n = self.gets
            if n == 2:  # answered as of before the store, delivered late
                assert self.hold.wait(30)
                return MISS
            return self.entries.get(key, MISS)

        def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
            self.entries[key] = value

        def delete(self, key: str) -> None: ...

        def clear(self) -> None: ...

    clock, sink, cache = Clock(), Sink(), SlowSecondLookup()
    ai = telemetry(clock, sink, cache=cache)
    client = async_client(clock)

    async def main() -> list[Any]:
        tasks = [asyncio.create_task(ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES))
                 for _ in range(2)]
        done, pending = await asyncio.wait(tasks, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and len(client.chat.completions.calls) == 1
        cache.hold.set()
        await asyncio.wait(pending, timeout=30)
        return [t.result() for t in tasks]

    first, second = run(main())
    assert second is first and len(client.chat.completions.calls) == 1 and cache.gets == 3
    assert sorted(r["cache_hit"] for r in sink.records) == [False, True]


def test_a_leader_cancelled_mid_call_is_recorded_and_its_waiter_goes_on() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)

    async def main() -> tuple[str, int]:
        gate = asyncio.Event()
        client = async_client(clock, gate=gate)
        leader = asyncio.create_task(ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES))
        waiter = asyncio.create_task(ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES))
        await asyncio.sleep(0)
        leader.cancel()  # say the request's client went away
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await leader
        return (await asyncio.wait_for(waiter, 30)).id, len(client.chat.completions.calls)

    assert run(main()) == ("chatcmpl-2", 2)
    assert [(r["status"], r.get("error_type"), r["cache_hit"]) for r in sink.records] == [
        ("error", "CancelledError", False), ("ok", None, False)]


def test_a_thread_and_coroutines_asking_at_once_make_one_model_call() -> None:
    """A thread leads (its model call blocks on a gate); coroutines asking the same wait without blocking their
    loop, and are answered from the cache when the thread's call returns."""
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    gate = threading.Event()
    sync_calls: list[dict[str, Any]] = []

    class BlockingCompletions:
        def create(self, **kwargs: Any) -> ChatCompletion:
            sync_calls.append(kwargs)
            assert gate.wait(30)
            clock.advance(0.25)
            return ChatCompletion("chatcmpl-thread", kwargs["model"], "from the thread", Usage(1200, 300))

    sync_client = FakeOpenAI(Chat(BlockingCompletions()))
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(
        ai.openai_chat(sync_client, model="gpt-4o-mini", messages=MESSAGES)))
    thread.start()
    deadline = time.monotonic() + 30
    while not sync_calls and time.monotonic() < deadline:
        time.sleep(0.001)
    assert sync_calls  # the thread leads, and is held at the gate
    client = async_client(clock)

    async def main() -> list[Any]:
        tasks = [asyncio.create_task(ai.aopenai_chat(client, model="gpt-4o-mini", messages=MESSAGES))
                 for _ in range(10)]
        for _ in range(20):  # this coroutine keeps running while all ten wait for the thread's answer
            await asyncio.sleep(0)
        assert not any(t.done() for t in tasks)
        gate.set()
        return await asyncio.wait_for(asyncio.gather(*tasks), 30)

    results = run(main())
    thread.join(30)
    assert [r.id for r in results] == ["chatcmpl-thread"] * 10 and answers[0] is results[0]
    assert client.chat.completions.calls == [] and len(sync_calls) == 1
    assert sorted(r["cache_hit"] for r in sink.records) == [False] + [True] * 10


def test_a_wait_for_a_stuck_leader_times_out_and_goes_to_the_model() -> None:
    sink = Sink()
    ai = AITelemetry(sender=sink, rate_limits=None, flight_timeout_s=0.05)  # real clock: the timeout is real

    async def main() -> tuple[str, str]:
        gate = asyncio.Event()
        stuck = async_client(Clock(), gate=gate)
        leader = asyncio.create_task(ai.aopenai_chat(stuck, model="gpt-4o-mini", messages=MESSAGES))
        await asyncio.sleep(0)
        follower = await ai.aopenai_chat(async_client(Clock()), model="gpt-4o-mini", messages=MESSAGES)
        gate.set()
        return (await leader).content, follower.content

    assert run(main()) == ("answer 1", "answer 1")  # each from its own client
    assert [r["cache_hit"] for r in sink.records] == [False, False]


def test_flights_wake_coroutines_from_another_thread() -> None:
    flights = Flights()

    async def main() -> None:
        assert await flights.wait_async("idle", 5)  # nothing in flight: no wait
        assert flights.begin("k")
        assert not await flights.wait_async("k", 0.01)  # still running
        ender = threading.Timer(0.01, flights.end, args=("k",))
        ender.start()
        assert await asyncio.wait_for(flights.wait_async("k", 30), 30)
        ender.join()
        assert flights._waiters == {}  # nobody left registered

    run(main())
    assert flights.begin("k")  # and the key can lead again
