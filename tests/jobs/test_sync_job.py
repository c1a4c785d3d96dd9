"""Syncs as job runs: each connection's job run carries exactly what its SyncResult reported (rows = new
versions per entity, stats = fetched, pages, requests, retries, errors, waited, duration); a failure is recorded
with the API's message and the connection's secret masked, and the other connections still sync; on the
server, syncs run on the one warehouse writer, a connection is never queued twice, and a build follows a
scheduled sync that stored anything new."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.sync_connectors import KIND, REQUESTS_PER_ENTITY, TOKEN, WAITED_PER_ENTITY, SyncingConnector
from support.sync_connectors import registered_syncing as registered

from growthos.core.errors import Conflict, NotFound
from growthos.jobs.sync_job import (
    CANCELLED,
    SyncQueue,
    run_sync_job,
    select_connections,
    start_sync_job,
    sync_connections,
)
from growthos.server.state import ServerState
from growthos.workspace import Workspace


@pytest.fixture
def connector() -> Iterator[SyncingConnector]:
    with registered() as fake:
        yield fake


@pytest.fixture
def ws(make_settings, connector: SyncingConnector, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("GROWTHOS_ENCRYPTION_KEY", raising=False)
    with Workspace(make_settings()) as workspace:
        yield workspace


def add(ws: Workspace, *names: str) -> None:
    for name in names:
        ws.store.create_connection(name, KIND, {"account": "acme", "token": TOKEN})


def raw_counts(ws: Workspace) -> dict[tuple[str, str], int]:
    rows = ws.engine.query("SELECT external_id, entity FROM raw_events WHERE source = ?", [KIND]).to_pylist()
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["external_id"].rsplit("-", 2)[0], row["entity"])
        counts[key] = counts.get(key, 0) + 1
    return counts


# -- job runs -------------------------------------------------------------------------------------------


def test_job_run_rows_and_stats_equal_the_sync_result(ws: Workspace) -> None:
    add(ws, "shop-a", "shop-b")
    outcomes = sync_connections(ws.store, ws.engine, ["shop-a", "shop-b"])
    assert [(o.connection, o.status) for o in outcomes] == [("shop-a", "succeeded"), ("shop-b", "succeeded")]
    for outcome in outcomes:
        job = ws.store.get_job(outcome.job_id)
        result = outcome.result
        assert job.kind == "sync" and job.status == "succeeded" and job.error is None
        assert job.params == {"connection": outcome.connection, "full": False}
        # What the connector reported, and what it was told to store: 3 orders and 2 customers, all new.
        assert job.rows == result.inserted == {"order": 3, "customer": 2}
        assert job.stats == {
            "connector": KIND, "fetched": result.fetched, "pages": result.pages, "requests": result.requests,
            "retries": result.retries, "errors": result.errors, "waited": result.waited,
            "duration_s": round(outcome.duration_s, 3),
        }
        assert (result.fetched, result.pages, result.requests, result.retries, result.errors) == (
            {"order": 3, "customer": 2}, 2, 2 * REQUESTS_PER_ENTITY, 2, 2)
        assert result.waited == 2 * WAITED_PER_ENTITY
        assert job.ended_at is not None and job.ended_at >= job.started_at
    assert raw_counts(ws) == {("shop-a", "order"): 3, ("shop-a", "customer"): 2,
                              ("shop-b", "order"): 3, ("shop-b", "customer"): 2}

    # Again, with nothing new upstream: everything fetched again, nothing stored.
    [again] = sync_connections(ws.store, ws.engine, ["shop-a"], full=True)
    job = ws.store.get_job(again.job_id)
    assert job.params == {"connection": "shop-a", "full": True}
    assert job.rows == {"order": 0, "customer": 0}
    assert job.stats["fetched"] == {"order": 3, "customer": 2}
    assert [r.id for r in ws.store.list_jobs(kind="sync")] == [again.job_id] + [o.job_id for o in outcomes][::-1]


def test_a_failure_is_recorded_with_the_secret_masked_and_the_others_continue(
        ws: Workspace, connector: SyncingConnector, caplog: pytest.LogCaptureFixture) -> None:
    add(ws, "shop-a", "shop-b", "shop-c")
    connector.fail["shop-b"] = "401 Unauthorized: invalid API token {token}"
    with caplog.at_level(logging.DEBUG):
        outcomes = sync_connections(ws.store, ws.engine, ["shop-a", "shop-b", "shop-c"])
    assert [o.status for o in outcomes] == ["succeeded", "failed", "succeeded"]
    failed = ws.store.get_job(outcomes[1].job_id)
    assert failed.status == "failed"
    assert failed.error == "401 Unauthorized: invalid API token ••••0987"
    assert failed.rows == {} and failed.stats["connector"] == KIND
    assert outcomes[1].to_dict()["error"] == failed.error
    assert raw_counts(ws) == {("shop-a", "order"): 3, ("shop-a", "customer"): 2,
                              ("shop-c", "order"): 3, ("shop-c", "customer"): 2}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "shop-b" in logged and "••••0987" in logged
    assert TOKEN not in logged and "ConnectionConfig" not in logged
    for job in ws.store.list_jobs(kind="sync"):
        assert TOKEN not in repr(job.to_dict())


def test_an_unexpected_exception_is_a_failure_with_its_type_and_no_secret(ws: Workspace) -> None:
    add(ws, "shop-a")

    def runner(config, engine, *, full):
        raise RuntimeError(f"connection refused while sending {config.secrets['token']} ({config!r})")

    outcome = run_sync_job(ws.store, ws.engine, start_sync_job(ws.store, "shop-a"), runner=runner)
    error = ws.store.get_job(outcome.job_id).error
    assert error.startswith("RuntimeError: connection refused while sending ••••0987")
    assert TOKEN not in error
    assert "secrets=" not in error  # ConnectionConfig's repr leaves its secrets out


def test_an_interrupted_sync_is_recorded_as_failed_and_the_interrupt_propagates(ws: Workspace) -> None:
    add(ws, "shop-a")

    def runner(config, engine, *, full):
        raise KeyboardInterrupt

    pending = start_sync_job(ws.store, "shop-a")
    with pytest.raises(KeyboardInterrupt):
        run_sync_job(ws.store, ws.engine, pending, runner=runner)
    job = ws.store.get_job(pending.job_id)
    assert (job.status, job.error) == ("failed", "interrupted")


def test_a_connection_removed_before_its_sync_runs_fails_that_job(ws: Workspace) -> None:
    add(ws, "shop-a")
    pending = start_sync_job(ws.store, "shop-a")
    ws.store.delete_connection("shop-a")
    outcome = run_sync_job(ws.store, ws.engine, pending)
    assert outcome.status == "failed" and "shop-a" in outcome.error
    assert ws.store.get_job(pending.job_id).status == "failed"


def test_select_connections_by_name_or_connector_kind(ws: Workspace) -> None:
    add(ws, "shop-a", "shop-b")
    assert [c.name for c in select_connections(ws.store)] == ["shop-a", "shop-b"]
    assert [c.name for c in select_connections(ws.store, "shop-b")] == ["shop-b"]
    assert [c.name for c in select_connections(ws.store, KIND)] == ["shop-a", "shop-b"]
    with pytest.raises(NotFound) as caught:
        select_connections(ws.store, "nope")
    assert caught.value.field == "source" and "'nope'" in caught.value.message


# -- on the server's writer -----------------------------------------------------------------------------


@pytest.fixture
def writer() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-writer")
    yield executor
    executor.shutdown(wait=True)


def test_the_queue_runs_syncs_on_the_writer_and_never_queues_a_connection_twice(
        ws: Workspace, connector: SyncingConnector, writer: ThreadPoolExecutor) -> None:
    add(ws, "shop-a", "shop-b")
    events: list[tuple[str, dict]] = []
    queue = SyncQueue(writer, ws, publish=lambda name, data: events.append((name, data)))
    connector.gate = threading.Event()
    first = queue.submit("shop-a")
    assert [ws.store.get_job(i).status for i in first.job_ids] == ["running"]  # recorded at once
    assert connector.started.wait(10)
    with pytest.raises(Conflict, match="shop-a is already queued or running"):
        queue.submit("shop-a")
    rest = queue.submit()  # every connection not already in flight
    assert [p.connection for p in rest.jobs] == ["shop-b"]
    with pytest.raises(Conflict, match="every connection"):
        queue.submit()
    connector.gate.set()
    assert [o.status for o in first.future.result(10) + rest.future.result(10)] == ["succeeded", "succeeded"]
    assert {thread for _, _, thread in connector.calls} == {"test-writer_0"}
    assert queue.in_flight == set()
    assert [(name, data["connection"], data["status"]) for name, data in events] == [
        ("sync_finished", "shop-a", "succeeded"), ("sync_finished", "shop-b", "succeeded")]
    with pytest.raises(NotFound):
        queue.submit("nope")


def test_a_scheduled_sync_is_followed_by_a_build_only_when_something_new_was_stored(
        ws: Workspace, connector: SyncingConnector, writer: ThreadPoolExecutor) -> None:
    builds: list[str] = []
    queue = SyncQueue(writer, ws, start_build=lambda: builds.append(threading.current_thread().name))
    assert queue.submit_scheduled() is None  # no connection: nothing to do, nothing recorded
    assert ws.store.list_jobs(kind="sync") == []

    add(ws, "shop-a")
    queue.submit_scheduled().result(10)
    assert builds == ["test-writer_0"]  # queued from the writer, behind the sync
    queue.submit_scheduled().result(10)  # nothing new upstream
    assert builds == ["test-writer_0"]
    connector.version = 2
    queue.submit_scheduled().result(10)
    assert len(builds) == 2
    queue.submit("shop-a").future.result(10)  # asked for: no build unless build_after
    assert len(builds) == 2


def test_syncs_still_queued_when_the_server_closes_are_cancelled(
        ws: Workspace, connector: SyncingConnector, writer: ThreadPoolExecutor) -> None:
    add(ws, "shop-a", "shop-b")
    queue = SyncQueue(writer, ws)
    connector.gate = threading.Event()
    queued = queue.submit()
    assert connector.started.wait(10)
    queue.close()
    connector.gate.set()
    outcomes = queued.future.result(10)
    assert [o.status for o in outcomes] == ["succeeded", "failed"]
    assert ws.store.get_job(outcomes[1].job_id).error == CANCELLED
    with pytest.raises(Conflict, match="shutting down"):
        queue.submit()


def test_server_state_queues_syncs_on_its_warehouse_writer(make_settings, connector: SyncingConnector,
                                                           tmp_path: Path) -> None:
    settings = make_settings(scheduler_enabled=False)
    with Workspace(settings) as ws:
        add(ws, "shop-a")
    state = ServerState(Workspace(settings))
    state.start()
    try:
        assert state.scheduler is None
        queued = state.start_sync("shop-a")
        [outcome] = queued.future.result(30)
        assert outcome.ok and outcome.inserted == {"order": 3, "customer": 2}
        assert [thread for _, _, thread in connector.calls] == ["growthos-writer_0"]
        with state.reader() as engine:
            assert engine.query("SELECT count(*) AS n FROM raw_events").column("n")[0].as_py() == 5
    finally:
        state.close()
