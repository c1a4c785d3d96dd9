"""``EventWriter.append_async``: the HTTP routes' way in, from an asyncio event loop; the journal thread
writes, the coroutine resumes once the batch is durable."""

from __future__ import annotations

import asyncio
import threading

import pytest
from collector_factories import track
from support.aio import run

from growthos.core.errors import InvalidInput
from growthos.sources.collector import EventWriter, Overloaded, WriteFailed, WriterClosed
from growthos.warehouse.duckdb_engine import DuckDBEngine


def stored_ids(reader: DuckDBEngine) -> list[str]:
    return reader.query("SELECT message_id FROM events ORDER BY message_id").column("message_id").to_pylist()


def test_concurrent_appends_are_durable_once_resumed_and_load(start_writer, reader) -> None:
    writer = start_writer()

    async def client(c: int) -> list[int]:
        return [await writer.append_async([track(f"c{c}-{i}-{k}", anon=f"a{c}") for k in range(5)])
                for i in range(20)]

    async def main() -> list[list[int]]:
        return await asyncio.gather(*(client(c) for c in range(8)))

    ends = run(main())
    durable = writer.append([])  # the journal's durable end
    for positions in ends:
        assert positions == sorted(positions) and positions[-1] <= durable
    assert len({p for positions in ends for p in positions}) == 8 * 20  # each batch its own frame
    stats = writer.stats()
    assert (stats.submits, stats.events) == (160, 800)
    assert stats.journal_writes <= stats.submits
    assert writer.flush(timeout=10)
    assert len(stored_ids(reader)) == 800


def test_a_batch_encoded_on_another_thread(start_writer, reader) -> None:
    writer = start_writer()
    encoded = []
    worker = threading.Thread(target=lambda: encoded.append(writer.encode([track("w1", user="u")])))
    worker.start()
    worker.join(5)
    empty = writer.encode([])

    async def main() -> tuple[int, int]:
        return await writer.append_async(encoded[0]), await writer.append_async(empty)

    end, unchanged = run(main())
    assert end == unchanged > 0  # nothing to write for an empty batch
    assert writer.flush(timeout=10)
    assert stored_ids(reader) == ["w1"]


def test_refusals_reach_the_coroutine(start_writer, reader) -> None:
    writer = start_writer(max_queue_events=10, max_batch_messages=10)

    async def main() -> None:
        with pytest.raises(InvalidInput):
            await writer.append_async([track(f"m{i}", user="u") for i in range(11)])
        await writer.append_async([track(f"q{i}", user="u") for i in range(10)])
        with pytest.raises(Overloaded) as info:  # the loader is held: the 10 are still waiting
            await writer.append_async([track("more", user="u")])
        assert (info.value.status, info.value.retry_after) == (429, 1.0)

    gate = threading.Event()
    entered = threading.Event()

    def hold(_engine) -> None:
        entered.set()
        gate.wait(10)

    holder = threading.Thread(target=writer.call, args=(hold,))
    holder.start()
    assert entered.wait(5)
    try:
        run(main())
    finally:
        gate.set()
        holder.join(5)
    writer.close()

    async def closed() -> None:
        with pytest.raises(WriterClosed):
            await writer.append_async([track("late", user="u")])

    run(closed())
    assert stored_ids(reader) == [f"q{i}" for i in range(10)]


def test_a_failed_journal_write_fails_the_coroutine_and_keeps_nothing(start_writer, reader, monkeypatch) -> None:
    writer = start_writer()
    journal = writer._journal

    def broken(frames):
        raise OSError(28, "No space left on device")

    async def main() -> None:
        monkeypatch.setattr(journal, "append", broken)
        with pytest.raises(WriteFailed) as info:
            await writer.append_async([track("lost", user="u")])
        assert info.value.status == 503
        monkeypatch.undo()
        await writer.append_async([track("kept", user="u")])

    run(main())
    assert writer.flush(timeout=10)
    assert stored_ids(reader) == ["kept"]
    assert writer.stats().queued_events == 0


def test_a_cancelled_caller_leaves_a_stored_batch(start_writer, reader) -> None:
    """A client that hangs up after sending does not cancel its batch: it may be stored (a retry is a
    duplicate), and nothing waits for it."""
    writer = start_writer()

    async def main() -> None:
        task = asyncio.ensure_future(writer.append_async([track("gone", user="u")]))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await writer.append_async([track("next", user="u")])

    run(main())
    assert writer.flush(timeout=10)
    assert stored_ids(reader) == ["gone", "next"]


def test_close_writes_what_was_queued(warehouse, journal_dir, reader) -> None:
    writer = EventWriter(warehouse, journal_dir=journal_dir).start()

    async def main() -> None:
        pending = [asyncio.ensure_future(writer.append_async([track(f"m{i}", user="u")])) for i in range(20)]
        await asyncio.sleep(0)  # each one is queued
        closer = asyncio.get_running_loop().run_in_executor(None, writer.close)
        await asyncio.gather(*pending, closer)

    run(main())
    assert len(stored_ids(reader)) == 20
