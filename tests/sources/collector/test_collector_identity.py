"""Identity merges: people, not ids, are counted."""

from __future__ import annotations

from datetime import timedelta

from collector_factories import T0, message, track

from growthos.sources.collector import count_people, ids_of, person_events, person_of


def identify(mid: str, anon: str | None, user: str):
    return message("identify", mid, anon=anon, user=user)


def alias(mid: str, previous: str, user: str):
    return message("alias", mid, user=user, previous_id=previous)


def people(reader) -> dict[str, list[str]]:
    """person_id → its ids, from identity_map."""
    rows = reader.query("SELECT person_id, list(id ORDER BY id) AS ids FROM identity_map GROUP BY 1 ORDER BY 1")
    return {r["person_id"]: r["ids"] for r in rows.to_pylist()}


def test_anonymous_visitor_becomes_a_user_then_a_second_device_joins(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([track("a1", anon="A"), track("a2", anon="A"), track("x1", anon="X")])
    assert people(reader) == {"A": ["A"], "X": ["X"]}  # nobody identified: the anonymous id is the person
    assert count_people(reader) == 2

    writer.submit([identify("i1", "A", "U")])  # anon A → user U
    assert people(reader) == {"U": ["A", "U"], "X": ["X"]}
    assert count_people(reader) == 2  # A's events and U's identify are one person

    writer.submit([track("b1", anon="B")])
    assert count_people(reader) == 3
    writer.submit([identify("i2", "B", "U")])  # later, anon B on another device → U
    assert people(reader) == {"U": ["A", "B", "U"], "X": ["X"]}
    assert count_people(reader) == 2
    assert person_events(reader, "U").column("message_id").to_pylist() == ["a1", "a2", "i1", "b1", "i2"]


def test_alias_merges_an_old_user_id_into_the_first_seen_user(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([identify("i1", "A", "U")])
    writer.submit([identify("i2", "C", "U2"), track("t2", user="U2")])
    assert count_people(reader) == 2
    writer.submit([alias("al", "U2", "U")])  # alias U2 → U
    assert people(reader) == {"U": ["A", "C", "U", "U2"]}
    assert count_people(reader) == 1
    assert person_of(reader, "C") == "U"


def test_a_chain_merges_two_existing_people(start_writer, reader) -> None:
    writer = start_writer()
    # person 1: A, U1 (U1 first seen at seq 2); person 2: B, U2 (seq 4), C linked to B's user later
    writer.submit([identify("i1", "A", "U1")])
    writer.submit([identify("i2", "B", "U2"), track("t1", anon="C"), identify("i3", "C", "U2")])
    writer.submit([track("t2", anon="A"), track("t3", anon="B"), track("t4", user="U2")])
    assert people(reader) == {"U1": ["A", "U1"], "U2": ["B", "C", "U2"]}
    assert count_people(reader) == 2
    # the second user logs in as the first: alias U2 → U1; every id of both now maps to U1
    writer.submit([alias("al", "U2", "U1")])
    assert people(reader) == {"U1": ["A", "B", "C", "U1", "U2"]}
    assert count_people(reader) == 1
    assert ids_of(reader, "U1") == ["A", "B", "C", "U1", "U2"]
    # the canonical id is the first-seen user id, whichever way round the alias points
    writer.submit([identify("i4", "D", "V1"), identify("i5", "E", "V2"), alias("al2", "V1", "V2")])
    assert person_of(reader, "V2") == "V1" and person_of(reader, "E") == "V1"


def test_merges_inside_one_commit_equal_merges_across_commits(start_writer, warehouse, reader, tmp_path) -> None:
    from growthos.sources.collector import EventWriter
    from growthos.warehouse.duckdb_engine import DuckDBEngine

    events = [track("t1", anon="A"), identify("i1", "A", "U1"), track("t2", anon="B"), identify("i2", "B", "U2"),
              track("t3", anon="C"), alias("al", "U2", "U1"), identify("i3", "C", "U2"), track("t4", user="U3")]
    start_writer().submit(events)
    one_commit = people(reader)
    other = DuckDBEngine(tmp_path / "other.duckdb")
    with EventWriter(other, journal_dir=tmp_path / "other-journal") as writer:
        for event in events:
            writer.submit([event])
    one_by_one = people(other)
    other.close()
    assert one_commit == one_by_one == {"U1": ["A", "B", "C", "U1", "U2"], "U3": ["U3"]}


def test_any_call_with_both_ids_links_them(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([track("t1", anon="A"), track("t2", anon="A", user="U")])
    assert people(reader) == {"U": ["A", "U"]}


def test_a_shared_device_does_not_merge_two_users(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([track("t1", anon="S"), identify("i1", "S", "U1"), track("t2", anon="S", user="U1")])
    writer.submit([identify("i2", "S", "U2"), track("t3", anon="S", user="U2")])  # U1 logs out, U2 logs in
    assert people(reader) == {"U1": ["S", "U1"], "U2": ["U2"]}
    assert writer.stats().identity_refused == 2
    assert count_people(reader) == 2
    by_person = reader.query(
        "SELECT person_id, list(message_id ORDER BY message_id) AS m FROM events_people GROUP BY 1 ORDER BY 1"
    ).to_pylist()
    assert by_person == [{"person_id": "U1", "m": ["i1", "t1", "t2"]}, {"person_id": "U2", "m": ["i2", "t3"]}]
    writer.submit([alias("al", "U2", "U1")])  # an explicit alias still merges them
    assert count_people(reader) == 1


def test_an_anonymous_id_later_seen_as_a_user_id_becomes_canonical(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([track("t1", anon="A"), track("t2", anon="K")])
    writer.submit([identify("i1", "A", "K")])  # K was seen as an anonymous id first, now it is a user id
    assert people(reader) == {"K": ["A", "K"]}
    assert reader.query("SELECT is_user FROM identity_map WHERE id = 'K'").column(0).to_pylist() == [True]


def test_people_counted_by_period_and_event(start_writer, reader) -> None:
    writer = start_writer()
    day = timedelta(days=1)
    writer.submit([
        track("d1a", anon="A", event="Signed Up", at=T0), identify("d1i", "A", "U"),
        track("d1b", anon="B", event="Viewed", at=T0),
        track("d2a", user="U", event="Viewed", at=T0 + day), track("d2b", anon="B", event="Viewed", at=T0 + day),
        track("d2c", anon="C", event="Viewed", at=T0 + day),
    ])
    # hand count: day 1 → {U (via A), B}; day 2 → {U, B, C}; "Viewed" over both days → {B, U, C}
    assert count_people(reader, start=T0, end=T0 + day) == 2
    assert count_people(reader, start=T0 + day, end=T0 + 2 * day) == 3
    assert count_people(reader, event="Viewed") == 3
    assert count_people(reader, event="Signed Up") == 1
    assert reader.query("SELECT count(DISTINCT distinct_id) AS n FROM events").column("n")[0].as_py() == 4


def test_a_restarted_writer_links_ids_stored_before(warehouse, reader, journal_dir) -> None:
    from growthos.sources.collector import EventWriter

    with EventWriter(warehouse, journal_dir=journal_dir) as writer:
        writer.submit([identify("i1", "A", "U1"), track("t1", anon="B")])
    with EventWriter(warehouse, journal_dir=journal_dir) as writer:  # starts from the stored ids
        writer.submit([identify("i2", "B", "U1"), track("t2", anon="C")])
    assert people(reader) == {"U1": ["A", "B", "U1"], "C": ["C"]}


def test_identity_rows_written_by_a_task_are_seen_by_the_next_commit(start_writer, reader) -> None:
    writer = start_writer()
    writer.submit([track("t0", anon="Y")])  # the cache is complete and knows only Y

    def insert_x(engine) -> None:
        engine.execute("INSERT INTO identity_map VALUES ('X', 'X', false, 100)")

    writer.call(insert_x)
    writer.submit([identify("i1", "X", "U")])  # X is stored: linked, not inserted twice
    assert people(reader) == {"U": ["U", "X"], "Y": ["Y"]}
