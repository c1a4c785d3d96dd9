"""The AI response caches: LRU eviction order, TTL expiry on an injected clock, 16 threads at once (every value
found again, the size never above the bound, every insert accounted for), single flight, and the Redis cache
against a real redis-server (Debian's, started here on a free port)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from support.threads import run_threads

from growthos.telemetry.ai_cache import JSON, MISS, LRUCache, RedisCache, SingleFlight


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_defaults_are_an_hour_and_a_thousand_entries() -> None:
    cache = LRUCache()
    assert (cache.ttl_s, cache.max_entries) == (3600.0, 1000)


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = LRUCache(max_entries=3)
    for key in "abc":
        cache.set(key, key.upper())
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.set("d", "D")
    assert cache.keys() == ["c", "a", "d"] and cache.get("b") is MISS
    cache.set("c", "C2")  # storing again counts as a use
    cache.set("e", "E")
    assert cache.keys() == ["d", "c", "e"]
    assert (cache.get("c"), cache.stats.evictions) == ("C2", 2)


def test_an_entry_expires_after_its_ttl() -> None:
    clock = Clock()
    cache = LRUCache(ttl_s=10, clock=clock)
    cache.set("a", 1)
    cache.set("b", 2, ttl_s=100)
    clock.now += 9.999
    assert cache.get("a") == 1
    clock.now += 0.001  # exactly 10 s: gone
    assert cache.get("a") is MISS and cache.get("b") == 2
    clock.now += 90
    assert cache.get("b") is MISS
    assert (cache.stats.expirations, cache.stats.hits, cache.stats.misses, len(cache)) == (2, 2, 2, 0)


def test_expired_entries_make_room_before_live_ones() -> None:
    clock = Clock()
    cache = LRUCache(max_entries=2, ttl_s=100, clock=clock)
    cache.set("old", 1, ttl_s=1)
    cache.set("live", 2)
    clock.now += 5
    cache.set("new", 3)
    assert cache.keys() == ["live", "new"] and (cache.stats.expirations, cache.stats.evictions) == (1, 0)


def test_none_is_a_value_not_a_miss() -> None:
    cache = LRUCache()
    cache.set("k", None)
    assert cache.get("k") is None and cache.get("other") is MISS and not MISS
    cache.delete("k")
    assert cache.get("k") is MISS


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        LRUCache(max_entries=0)
    with pytest.raises(ValueError, match="ttl_s"):
        LRUCache(ttl_s=0)
    with pytest.raises(ValueError, match="ttl_s"):
        LRUCache().set("k", 1, ttl_s=-1)



def test_sixteen_threads_lose_no_update() -> None:
    cache = LRUCache(max_entries=16 * 200)

    def work(t: int) -> None:
        for i in range(200):
            cache.set(f"{t}:{i}", (t, i))
            assert cache.get(f"{t}:{i}") == (t, i)

    run_threads(16, work)
    assert len(cache) == 3200 and cache.stats.evictions == 0
    assert all(cache.get(f"{t}:{i}") == (t, i) for t in range(16) for i in range(200))


def test_sixteen_threads_never_grow_it_past_its_bound() -> None:
    cache = LRUCache(max_entries=50, clock=Clock())  # a frozen clock: nothing expires, every drop is an eviction
    sizes: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            sizes.append(len(cache))

    watcher = threading.Thread(target=watch)
    watcher.start()

    def work(t: int) -> None:
        for i in range(500):
            cache.set(f"{t}:{i}", i)
            cache.get(f"{t}:{i - 3}")

    try:
        run_threads(16, work)
    finally:
        done.set()
        watcher.join()
    assert sizes and max(sizes) <= 50 and len(cache) == 50
    assert cache.stats.evictions + len(cache) == 16 * 500  # every insert is either still there or was evicted
    assert cache.stats.hits + cache.stats.misses == 16 * 500


def test_single_flight_lets_one_caller_lead() -> None:
    flights = SingleFlight()
    assert flights.begin("k") and not flights.begin("k") and flights.begin("other")
    assert not flights.wait("k", 0.01)  # still running
    flights.end("k")
    assert flights.wait("k", 0) and flights.begin("k")


# Redis ---------------------------------------------------------------------------------------------------------

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: `make system-deps` installs redis-server, `make setup` the redis package)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real redis-server on a free port of 127.0.0.1, without persistence, for this module."""
    if not os.access(REDIS_SERVER, os.X_OK):
        _unavailable("redis-server is missing (Debian package redis-server)")
    try:
        import redis
    except ImportError:
        _unavailable("the Python package redis is not installed")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@dataclass(frozen=True)
class Answer:
    text: str
    tokens: int


def test_redis_stores_objects_with_their_ttl(redis_url) -> None:
    cache = RedisCache(redis_url, prefix="t1:")
    cache.set("k", Answer("hello", 3), ttl_s=100)
    assert cache.get("k") == Answer("hello", 3) and cache.get("missing") is MISS
    pttl = cache.client.pttl("t1:k")
    assert 90_000 < pttl <= 100_000
    cache.set("default", 1)
    assert 3_590_000 < cache.client.pttl("t1:default") <= 3_600_000  # the default TTL, an hour
    cache.set("none", None)
    assert cache.get("none") is None


def test_redis_entries_expire(redis_url) -> None:
    cache = RedisCache(redis_url, prefix="t2:")
    cache.set("short", "x", ttl_s=0.001)  # 1 ms
    deadline = time.monotonic() + 10
    while cache.get("short") is not MISS:
        assert time.monotonic() < deadline, "the entry never expired"
        time.sleep(0.01)
    assert cache.client.exists("t2:short") == 0


def test_redis_clear_deletes_only_its_prefix(redis_url) -> None:
    cache = RedisCache(redis_url, prefix="t3*[x]:")  # glob characters in the prefix are matched literally
    other = RedisCache(redis_url, prefix="t3-other:")
    for i in range(1200):
        cache.set(str(i), i)
    other.set("kept", 1)
    cache.clear()
    assert [cache.get(str(i)) for i in (0, 599, 1199)] == [MISS] * 3 and other.get("kept") == 1


def test_redis_json_codec(redis_url) -> None:
    cache = RedisCache(redis_url, prefix="t4:", codec=JSON)
    cache.set("k", {"answer": [1, 2.5, "x"]})
    assert cache.get("k") == {"answer": [1, 2.5, "x"]}
    assert cache.client.get("t4:k") == b'{"answer":[1,2.5,"x"]}'


def test_redis_from_sixteen_threads(redis_url) -> None:
    cache = RedisCache(redis_url, prefix="t5:")

    def work(t: int) -> None:
        for i in range(50):
            cache.set(f"{t}:{i}", (t, i))
            assert cache.get(f"{t}:{i}") == (t, i)

    run_threads(16, work)
    assert all(cache.get(f"{t}:{i}") == (t, i) for t in range(16) for i in range(50))


def test_without_the_redis_package_the_error_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'redis>=5'"):
        RedisCache("redis://127.0.0.1:1/0")
    with pytest.raises(ValueError, match="url"):
        RedisCache()


def test_two_wrappers_share_answers_through_redis(redis_url) -> None:
    from growthos.telemetry.ai import AITelemetry

    class Sink:
        def __init__(self) -> None:
            self.records: list[dict] = []

        def record(self, item: dict) -> None:
            self.records.append(item)

    calls: list[str] = []

    def app(sink: Sink):  # one app process
        ai = AITelemetry(sender=sink, cache=RedisCache(redis_url, prefix="t6:"), rate_limits=None)

        @ai.track(model="gpt-4o-mini", endpoint="answer")
        def answer(question: str) -> dict:
            calls.append(question)
            return {"text": Answer("42", 1), "usage": {"prompt_tokens": 9, "completion_tokens": 2}}

        return answer

    first, second = Sink(), Sink()
    assert app(first)("What is six times seven?") == app(second)("What is  six times seven?")
    assert calls == ["What is six times seven?"]
    assert [r["cache_hit"] for r in first.records + second.records] == [False, True]
