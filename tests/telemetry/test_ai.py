"""The AI-call wrapper: the decorator, the context manager and the OpenAI helper record latency (on an injected
clock), tokens and cost (worked out by hand from the price table); identical calls are served from the cache
without calling the client; errors are recorded and re-raised; concurrent identical calls make one upstream call;
a failing cache or sender never breaks the app's call; and end to end, records land in telemetry_ai_calls of a
real server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from support.server import LiveServer, empty_server

from growthos.sources.telemetry.ai_calls import AI_CALL
from growthos.telemetry.ai import MAX_LENGTHS, AITelemetry, read_usage
from growthos.telemetry.ai_cache import LRUCache
from growthos.telemetry.pricing import DEFAULT_PRICES, Price, PriceTable
from growthos.telemetry.prompts import cache_key, canonical_request
from growthos.telemetry.rate_limit import RateLimited, RateLimiter, RateLimits


class Clock:
    """Seconds that move only when the fake model answers (or a test says so)."""

    def __init__(self) -> None:
        self.now = 50.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


class Sink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def record(self, item: dict[str, Any]) -> None:
        with self.lock:
            self.records.append(item)


class BrokenSink:
    def record(self, item: dict[str, Any]) -> None:
        raise ConnectionError("telemetry is down")


class BrokenCache:
    def get(self, key: str) -> Any:
        raise ConnectionError("redis is down")

    def set(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        raise ConnectionError("redis is down")

    def delete(self, key: str) -> None: ...

    def clear(self) -> None: ...


# The shape of the OpenAI client's chat completions (module-level dataclasses: picklable, as Redis needs).

@dataclass
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int = 0


@dataclass
class Message:
    role: str
    content: str


@dataclass
class Choice:
    index: int
    message: Message
    finish_reason: str = "stop"


@dataclass
class ChatCompletion:
    id: str
    model: str
    choices: list[Choice]
    usage: Usage


class APITimeoutError(Exception):
    """As openai.APITimeoutError is named."""


@dataclass
class Completions:
    clock: Clock
    latency_s: float = 0.25
    tokens: tuple[int, int] = (1200, 300)
    fail_with: Exception | None = None
    gate: threading.Event | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, **kwargs: Any) -> ChatCompletion:
        with self.lock:
            self.calls.append(kwargs)
            n = len(self.calls)
        if self.gate is not None:
            assert self.gate.wait(30)
        self.clock.advance(self.latency_s)
        if self.fail_with is not None:
            raise self.fail_with
        text = f"answer {n}"
        return ChatCompletion(f"chatcmpl-{n}", f"{kwargs['model']}-2024-07-18",
                              [Choice(0, Message("assistant", text))], Usage(*self.tokens, sum(self.tokens)))


@dataclass
class Chat:
    completions: Completions


@dataclass
class FakeOpenAI:
    chat: Chat
    api_key: str = "sk-test"


def fake_client(clock: Clock, **options: Any) -> FakeOpenAI:
    return FakeOpenAI(Chat(Completions(clock, **options)))


def telemetry(clock: Clock, sink: Any = None, **options: Any) -> AITelemetry:
    options.setdefault("rate_limits", None)
    return AITelemetry(sender=sink if sink is not None else Sink(), clock=clock, **options)


MESSAGES = [{"role": "system", "content": "You summarise."}, {"role": "user", "content": "Summarise  this\n text."}]


def test_openai_helper_records_latency_tokens_and_cost() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    client = fake_client(clock)
    response = ai.openai_chat(client, endpoint="summarise", model="gpt-4o-mini", messages=MESSAGES, temperature=0,
                              user="user-7")
    assert response.choices[0].message.content == "answer 1"
    assert client.chat.completions.calls == [{"model": "gpt-4o-mini", "messages": MESSAGES, "temperature": 0,
                                              "user": "user-7"}]
    [record] = sink.records
    # gpt-4o-mini: $0.15 in and $0.60 out per 1M tokens -> 1200 x 0.15/1e6 + 300 x 0.60/1e6 = 0.00018 + 0.00018
    assert record["cost_usd"] == pytest.approx(0.00036)
    assert record | {"cost_usd": 0, "timestamp": ""} == {
        "model": "gpt-4o-mini", "provider": "openai", "endpoint": "summarise", "user_id": "user-7",
        "latency_ms": 250.0, "tokens_in": 1200, "tokens_out": 300, "cache_hit": False, "status": "ok",
        "cost_usd": 0, "timestamp": ""}
    assert record["timestamp"].endswith("+00:00")


def test_an_identical_call_is_served_from_the_cache() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    client = fake_client(clock)
    first = ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES, temperature=0.0)
    same = [{"role": "system", "content": "  You summarise. "}, {"content": "Summarise this text.", "role": "user"}]
    second = ai.openai_chat(client, model="gpt-4o-mini", messages=same, temperature=0, user="someone-else")
    assert second is first and len(client.chat.completions.calls) == 1  # whitespace, key order, 0 vs 0.0, user
    hit = sink.records[1]
    assert (hit["cache_hit"], hit["tokens_in"], hit["tokens_out"], hit["cost_usd"], hit["latency_ms"]) == (
        True, 0, 0, 0.0, 0.0)  # the lookup took no time on this clock
    ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES, temperature=0.7)  # another answer
    ai.openai_chat(client, model="gpt-4o", messages=MESSAGES, temperature=0)  # another model
    ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES, temperature=0, cache=False)  # asked not to
    assert len(client.chat.completions.calls) == 4
    assert (ai.stats.calls, ai.stats.cache_hits, ai.stats.errors) == (5, 1, 0)


def test_the_cache_key_leaves_out_what_does_not_change_the_answer() -> None:
    key = cache_key("gpt-4o", "Hello   world", {"temperature": 1, "user": "a", "timeout": 3})
    assert key == cache_key("gpt-4o", " Hello world\n", {"temperature": 1.0, "user": "b"})
    assert key != cache_key("gpt-4o", "hello world", {"temperature": 1})  # case is kept
    assert key != cache_key("gpt-4o", "Hello world", {"temperature": 1, "seed": 4})  # unknown-to-us params count
    assert canonical_request("m", {"b": [1.5, 2.0], "a": "x  y"}) == (
        '{"model":"m","params":{},"prompt":{"a":"x y","b":[1.5,2]},"v":1}')


def test_errors_are_recorded_and_re_raised_and_never_cached() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    timeout = APITimeoutError("the model took too long")
    client = fake_client(clock, fail_with=timeout, latency_s=30.0)
    for _ in range(2):
        with pytest.raises(APITimeoutError) as raised:
            ai.openai_chat(client, endpoint="chat", model="gpt-4o", messages=MESSAGES)
        assert raised.value is timeout
    assert len(client.chat.completions.calls) == 2
    assert [(r["status"], r["error_type"], r["latency_ms"], r["cache_hit"]) for r in sink.records] == [
        ("error", "APITimeoutError", 30_000.0, False)] * 2
    assert ai.stats.errors == 2


def test_the_decorator_times_the_function_and_reads_anthropic_usage() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    calls: list[str] = []

    @ai.track(model="claude-3-5-haiku-20241022", endpoint="tag")
    def tag(text: str, style: str = "short", user_id: str | None = None) -> dict:
        calls.append(text)
        clock.advance(0.8)
        return {"tags": ["a"], "usage": {"input_tokens": 2000, "output_tokens": 500}}

    assert tag("Soup  recipe", user_id="u1") == tag("Soup recipe", "short", user_id="u2")
    assert calls == ["Soup  recipe"]  # the second was a cache hit (the user is not part of the key)
    model_call, hit = sink.records
    # claude-3-5-haiku (a dated snapshot of it): $0.80 in, $4.00 out -> 2000 x 0.8/1e6 + 500 x 4/1e6 = 0.0036
    assert model_call["cost_usd"] == pytest.approx(0.0036)
    assert (model_call["latency_ms"], model_call["tokens_in"], model_call["tokens_out"], model_call["user_id"]) == (
        pytest.approx(800.0), 2000, 500, "u1")
    assert (hit["cache_hit"], hit["user_id"], hit["endpoint"]) == (True, "u2", "tag")
    tag("Soup recipe", style="long")
    assert len(calls) == 2  # another argument, another key


def test_the_decorator_defaults_and_a_model_argument() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)

    @ai.track(model="gpt-4o-mini", cache=False, usage=lambda r: (r, r))
    def ask(prompt: str, model: str = "gpt-4o-mini") -> int:
        return 10

    ask("a")
    ask("a", model="gpt-4.1")
    assert [(r["model"], r["endpoint"], r["tokens_in"]) for r in sink.records] == [
        ("gpt-4o-mini", ask.__qualname__, 10), ("gpt-4.1", ask.__qualname__, 10)]
    # gpt-4.1: $2 in, $8 out -> 10 x 2/1e6 + 10 x 8/1e6 = 0.0001
    assert sink.records[1]["cost_usd"] == pytest.approx(0.0001)
    with pytest.raises(TypeError):
        ask()  # the function's own argument error, untracked
    assert len(sink.records) == 2


def test_the_context_manager_with_an_unpriced_model() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink, provider="acme")
    for _ in range(2):
        with ai.call(model="acme-large", endpoint="draft", prompt="Write a haiku", trace_id="t" * 80) as call:
            if call.hit:
                answer = call.value
            else:
                clock.advance(1.5)
                call.tokens(40, 17)
                call.set_result("five seven five")
                answer = "five seven five"
                assert call.cost_usd is None  # unknown model: unknown cost, not 0
        assert answer == "five seven five"
    model_call, hit = sink.records
    assert "cost_usd" not in model_call and (model_call["tokens_in"], model_call["tokens_out"]) == (40, 17)
    assert (model_call["latency_ms"], model_call["provider"], len(model_call["trace_id"])) == (1500.0, "acme", 64)
    assert hit["cache_hit"] and hit["cost_usd"] == 0.0


def test_a_block_that_raises_is_an_error_and_caches_nothing() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    with pytest.raises(KeyError):
        with ai.call(model="gpt-4o", prompt="p") as call:
            call.set_result("half done")
            raise KeyError("parse failed")
    with ai.call(model="gpt-4o", prompt="p") as call:
        assert not call.hit
    assert [(r["status"], r.get("error_type")) for r in sink.records] == [("error", "KeyError"), ("ok", None)]


def test_prices_can_be_overridden() -> None:
    table = PriceTable({"gpt-4o": (1.0, 2.0), "my-model": Price(3.0, 4.0)})
    assert table.cost("gpt-4o", 1_000_000, 500_000) == pytest.approx(2.0)  # 1 + 0.5 x 2
    assert table.cost("my-model", 1000, 1000) == pytest.approx(0.007)
    assert table.cost("gpt-4o-mini", 0, 0) == 0.0 and table.cost("nobody-knows", 10, 10) is None
    assert PriceTable(include_defaults=False).cost("gpt-4o", 1, 1) is None
    assert table.price("gpt-4o-2024-08-06") == Price(1.0, 2.0)  # a snapshot priced as its base model
    assert table.price("gpt-4-0613") == DEFAULT_PRICES["gpt-4"] and table.price("gpt-4o-audio") is None
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink, prices={"gpt-4o": (1.0, 2.0)})
    ai.openai_chat(fake_client(clock, tokens=(1000, 1000)), model="gpt-4o", messages=MESSAGES)
    assert sink.records[0]["cost_usd"] == pytest.approx(0.003)


def test_rate_limits_refuse_model_calls_but_not_cache_hits() -> None:
    clock, sink = Clock(), Sink()
    frozen = RateLimiter(RateLimits(global_per_minute=2, per_user_per_minute=None), clock=lambda: 0.0)
    ai = telemetry(clock, sink, rate_limits=frozen)
    client = fake_client(clock)
    ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES)
    ai.openai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "other"}])
    with pytest.raises(RateLimited, match="global allows 2 calls per minute"):
        ai.openai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "third"}])
    ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES)  # a cache hit passes
    assert len(client.chat.completions.calls) == 2
    assert [(r["status"], r.get("error_type"), r["cache_hit"]) for r in sink.records] == [
        ("ok", None, False), ("ok", None, False), ("error", "RateLimited", False), ("ok", None, True)]


def test_per_user_limits_take_the_request_user() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimits(global_per_minute=None, per_user_per_minute=1), clock=lambda: 0.0)
    ai = telemetry(clock, rate_limits=limiter)
    client = fake_client(clock)
    ai.openai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "1"}], user="ann")
    ai.openai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "2"}], user="bob")
    with pytest.raises(RateLimited, match="user:ann"):
        ai.openai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": "3"}], user="ann")


def test_the_default_limits_are_a_hundred_a_minute() -> None:
    ai = AITelemetry(sender=Sink())
    assert ai.limiter.limits == RateLimits(global_per_minute=100, per_user_per_minute=100)
    assert isinstance(ai.cache, LRUCache) and (ai.cache.ttl_s, ai.cache.max_entries) == (3600, 1000)
    assert AITelemetry(sender=Sink(), cache=None, rate_limits=None).limiter is None
    with pytest.raises(ValueError, match="ingest key"):
        AITelemetry("http://growthos.test")


def test_sixteen_identical_calls_at_once_make_one_model_call() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    gate = threading.Event()
    client = fake_client(clock, gate=gate)
    answers: list[Any] = []
    start = threading.Barrier(17)

    def ask() -> None:
        start.wait()
        answers.append(ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    start.wait()
    gate.set()  # the one model call answers; the others were waiting for it (or find it cached)
    for t in threads:
        t.join(30)
    assert len(answers) == 16 and all(a is answers[0] for a in answers)
    assert len(client.chat.completions.calls) == 1
    assert sorted(r["cache_hit"] for r in sink.records) == [False] + [True] * 15
    assert sum(r["tokens_in"] for r in sink.records) == 1200


def test_after_the_ttl_sixteen_threads_refresh_the_answer_once() -> None:
    clock, cache_clock, sink = Clock(), Clock(), Sink()
    ai = telemetry(clock, sink, cache=LRUCache(ttl_s=60, clock=cache_clock))
    client = fake_client(clock)

    def burst() -> set[str]:
        answers: list[Any] = []
        start = threading.Barrier(16)

        def ask() -> None:
            start.wait()
            answers.append(ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES).id)

        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return set(answers)

    assert burst() == {"chatcmpl-1"}
    cache_clock.advance(59.9)
    assert burst() == {"chatcmpl-1"}  # still fresh
    cache_clock.advance(0.1)  # 60 s: expired
    assert burst() == {"chatcmpl-2"} and len(client.chat.completions.calls) == 2
    assert [r["cache_hit"] for r in sink.records].count(False) == 2 and len(sink.records) == 48


def test_sixteen_different_calls_at_once_are_each_recorded() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink, rate_limits=RateLimits(global_per_minute=100, per_user_per_minute=5))
    client = fake_client(clock)
    start = threading.Barrier(16)
    refused: list[int] = []

    def ask(i: int) -> None:
        start.wait()
        for j in range(8):
            try:
                ai.openai_chat(client, model="gpt-4o-mini", messages=[{"role": "user", "content": f"{i}/{j}"}],
                               user=f"user-{i}")
            except RateLimited:
                refused.append(i)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # 128 calls; each user's bucket holds 5 (the clock barely moves), and only 100 fit the global bucket
    ok = [r for r in sink.records if r["status"] == "ok"]
    assert len(sink.records) == 128 and len(ok) == len(client.chat.completions.calls)
    assert len(ok) <= 80 and len(refused) == 128 - len(ok)
    assert sum(r["tokens_in"] for r in ok) == 1200 * len(ok)


def test_a_failing_sender_or_cache_never_breaks_the_call() -> None:
    clock = Clock()
    ai = telemetry(clock, BrokenSink(), cache=BrokenCache())
    client = fake_client(clock)
    for _ in range(2):
        assert ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES).usage.prompt_tokens == 1200
    assert len(client.chat.completions.calls) == 2  # no cache to serve the second
    assert ai.stats.telemetry_failures == 6  # two lookups, two stores, two records
    with pytest.raises(APITimeoutError):  # the app's own error still propagates
        ai.openai_chat(fake_client(clock, fail_with=APITimeoutError()), model="gpt-4o-mini", messages=MESSAGES)


def test_long_values_are_cut_to_the_servers_limits() -> None:
    assert MAX_LENGTHS == {f.name: f.max_length for f in AI_CALL.fields if f.name in MAX_LENGTHS}
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    with ai.call(model="m" * 200, endpoint="/e" * 200, user_id="u" * 300):
        clock.advance(7200)  # two hours: beyond the server's 1 h bound
    [record] = sink.records
    assert (len(record["model"]), len(record["endpoint"]), len(record["user_id"])) == (128, 256, 256)
    assert record["latency_ms"] == 3_600_000.0
    AI_CALL.parse([record], received_at=datetime.now(UTC))  # the server takes it


def test_streamed_calls_are_not_cached() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    client = fake_client(clock)
    for _ in range(2):
        ai.openai_chat(client, model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert len(client.chat.completions.calls) == 2
    assert [(r["cache_hit"], r["tokens_in"]) for r in sink.records] == [(False, 0), (False, 0)]


def test_the_wrapped_client_is_a_drop_in() -> None:
    clock, sink = Clock(), Sink()
    ai = telemetry(clock, sink)
    raw = fake_client(clock)
    client = ai.wrap_openai(raw, endpoint="assistant")
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES) is first
    assert client.api_key == "sk-test" and len(raw.chat.completions.calls) == 1
    assert [r["endpoint"] for r in sink.records] == ["assistant", "assistant"]
    with pytest.raises(TypeError, match="model"):
        client.chat.completions.create(messages=MESSAGES)


def test_usage_shapes() -> None:
    assert read_usage({"usage": {"prompt_tokens": 3, "completion_tokens": None}}) == (3, 0)
    assert read_usage(ChatCompletion("x", "m", [], Usage(5, 6))) == (5, 6)
    assert read_usage("plain text") == (0, 0) and read_usage({"usage": {"total": 3}}) == (0, 0)


# End to end ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    with empty_server(tmp_path_factory.mktemp("ai-server")) as server:
        yield server


def test_records_land_in_the_warehouse(live) -> None:
    endpoint = f"e2e-{uuid.uuid4().hex[:8]}"
    clock = Clock()
    ai = AITelemetry(live.url, live.keys["ingest"], clock=clock, rate_limits=None)
    client = fake_client(clock)
    ai.openai_chat(client, endpoint=endpoint, model="gpt-4o-mini", messages=MESSAGES, user="ann")
    ai.openai_chat(client, endpoint=endpoint, model="gpt-4o-mini", messages=MESSAGES, user="bob")
    with pytest.raises(APITimeoutError):
        ai.openai_chat(fake_client(clock, fail_with=APITimeoutError()), endpoint=endpoint, model="unknown-llm",
                       messages=MESSAGES)
    ai.close()
    assert ai.sender.stats.sent == 3 and ai.sender.stats.dropped == 0
    rows = live.warehouse_rows(
        "SELECT model, provider, user_id, latency_ms, tokens_in, tokens_out, cost_usd, cache_hit, status, error_type "
        "FROM telemetry_ai_calls WHERE endpoint = ? ORDER BY cache_hit, status DESC", [endpoint])
    assert rows == [
        {"model": "gpt-4o-mini", "provider": "openai", "user_id": "ann", "latency_ms": 250.0, "tokens_in": 1200,
         "tokens_out": 300, "cost_usd": pytest.approx(0.00036), "cache_hit": False, "status": "ok",
         "error_type": None},
        {"model": "unknown-llm", "provider": "openai", "user_id": None, "latency_ms": 250.0, "tokens_in": 0,
         "tokens_out": 0, "cost_usd": None, "cache_hit": False, "status": "error", "error_type": "APITimeoutError"},
        {"model": "gpt-4o-mini", "provider": "openai", "user_id": "bob", "latency_ms": 0.0, "tokens_in": 0,
         "tokens_out": 0, "cost_usd": 0.0, "cache_hit": True, "status": "ok", "error_type": None},
    ]
    summary = httpx.get(f"{live.url}/api/analytics/ai-performance", params={"range": "24h"},
                        headers=live.auth("read"), timeout=30).json()
    endpoints = {e["name"]: e for e in summary["endpoints"]}
    assert (endpoints[endpoint]["calls"], endpoints[endpoint]["cache_hits"], endpoints[endpoint]["errors"]) == (3, 1, 1)
