"""The server's cache of answers computed from the marts: reused until a build, never stale across one."""

from __future__ import annotations

from growthos.server.result_cache import ResultCache


def test_an_answer_is_computed_once_until_invalidated() -> None:
    cache, calls = ResultCache(), []

    def compute() -> dict:
        calls.append(1)
        return {"n": len(calls)}

    assert cache.get_or_compute(("forecast", "net_revenue"), compute) == {"n": 1}
    assert cache.get_or_compute(("forecast", "net_revenue"), compute) == {"n": 1}
    assert cache.get_or_compute(("forecast", "orders"), compute) == {"n": 2}
    cache.invalidate()
    assert cache.get_or_compute(("forecast", "net_revenue"), compute) == {"n": 3}


def test_an_answer_computed_while_a_build_finished_is_not_kept() -> None:
    cache = ResultCache()

    def compute_during_build() -> str:
        cache.invalidate()  # the build finished while this answer was computed from the old marts
        return "old"

    assert cache.get_or_compute("k", compute_during_build) == "old"
    assert cache.get_or_compute("k", lambda: "new") == "new"


def test_the_least_recently_used_answer_goes_first() -> None:
    cache = ResultCache(size=2)
    cache.get_or_compute("a", lambda: 1)
    cache.get_or_compute("b", lambda: 2)
    cache.get_or_compute("a", lambda: 0)  # a used again: b is now the oldest
    cache.get_or_compute("c", lambda: 3)
    assert cache.get_or_compute("a", lambda: -1) == 1
    assert cache.get_or_compute("b", lambda: -2) == -2
