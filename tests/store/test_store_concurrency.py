"""Several writers at once: two AppStore instances (and two processes) on one SQLite file, and races
to finish one job on both backends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from growthos.core.errors import Conflict
from growthos.store import AppStore, CheckOutcome

JOBS_PER_WRITER = 40


def _write_jobs(store: AppStore, kind: str, errors: list[BaseException]) -> None:
    try:
        for i in range(JOBS_PER_WRITER):
            job_id = store.start_job(kind, {"i": i})
            store.save_check_results(job_id, [CheckOutcome(f"{kind}-{i}", "pass", float(i), None, "")])
            store.list_jobs(kind=kind, limit=5)
            store.finish_job(job_id, "succeeded", rows={"t": i})
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)


def test_two_stores_write_one_sqlite_file_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    stores = [AppStore.open(url), AppStore.open(url)]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_write_jobs, args=(store, f"w{n}", errors))
        for n, store in enumerate(stores)
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    jobs = stores[0].list_jobs(limit=1000)
    assert len(jobs) == 4 * JOBS_PER_WRITER
    assert {j.status for j in jobs} == {"succeeded"}
    assert len({j.id for j in jobs}) == len(jobs)
    for store in stores:
        store.close()


def test_a_second_process_writes_while_this_one_does(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    store = AppStore.open(url)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            from growthos.store import AppStore
            store = AppStore.open({url!r})
            print("ready", flush=True)
            for i in range({JOBS_PER_WRITER}):
                job_id = store.start_job("cli", {{"i": i}})
                store.finish_job(job_id, "succeeded", rows={{"t": i}})
            store.close()
        """)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"  # both write from here on
    errors: list[BaseException] = []
    _write_jobs(store, "server", errors)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert errors == []
    assert len(store.list_jobs(kind="cli", status="succeeded", limit=1000)) == JOBS_PER_WRITER
    assert len(store.list_jobs(kind="server", status="succeeded", limit=1000)) == JOBS_PER_WRITER
    store.close()


def test_racing_to_finish_one_job_lets_exactly_one_win(app_db_url: str) -> None:
    stores = [AppStore.open(app_db_url) for _ in range(4)]
    job_id = stores[0].start_job("build")
    barrier = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def finish(store: AppStore, n: int) -> None:
        barrier.wait()
        try:
            store.finish_job(job_id, "succeeded", rows={"winner": n})
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=finish, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * (len(stores) - 1) + ["won"]
    assert stores[0].get_job(job_id).status == "succeeded"
    for store in stores:
        store.close()


@pytest.mark.postgres
def test_opening_a_new_postgres_database_from_several_processes_at_once(fresh_postgres_url: str) -> None:
    code = f"from growthos.store import AppStore; AppStore.open({fresh_postgres_url!r}).close()"
    children = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for child in children:
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 0, stderr
    with AppStore.open(fresh_postgres_url) as store:
        assert store.list_jobs() == []
