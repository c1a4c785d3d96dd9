"""The collector's journal on real files: frames round-trip across segments, a torn tail is cut off on
reopening, damage to acknowledged data is refused, loaded segments are released."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from growthos.sources.collector.journal import Journal, JournalCorrupt, frame

KB = 1024


def payload(n: int, size: int = 3000) -> bytes:
    return (f"frame-{n}-".encode() * size)[:size]


def open_journal(directory: Path, loaded: int = 0, **sizes) -> Journal:
    journal = Journal(directory, segment_bytes=sizes.get("segment_bytes", 16 * KB),
                      first_segment_bytes=sizes.get("first_segment_bytes", 8 * KB))
    journal.open(loaded)
    return journal


def read_all(journal: Journal, position: int = 0) -> list[bytes]:
    out = []
    while position < journal.end:
        payloads, ends = journal.read(position, 5 * KB)
        out.extend(bytes(p) for p in payloads)
        position = ends[-1]
    return out


def segments(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.seg"))


def test_frames_round_trip_across_growing_segments(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    written, ends = [], []
    for n in range(0, 30, 2):  # groups of two frames
        group = [payload(i) for i in range(n, n + 2)]
        ends += journal.append([frame(p) for p in group])
        written += group
    assert ends == [(i + 1) * (3000 + 8) for i in range(30)]
    assert journal.end == ends[-1]
    assert read_all(journal) == written
    sizes = [(tmp_path / name).stat().st_size for name in segments(tmp_path)]
    assert sizes[:3] == [8 * KB, 16 * KB, 16 * KB]  # the first small, then doubling up to segment_bytes
    journal.close()

    reopened = open_journal(tmp_path)
    assert reopened.end == ends[-1]
    assert read_all(reopened) == written
    assert read_all(reopened, ends[4]) == written[5:]  # from any frame boundary


def test_a_torn_tail_is_cut_off_and_overwritten(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    ends = journal.append([frame(payload(0)), frame(payload(1))])
    journal.close()
    newest = tmp_path / segments(tmp_path)[-1]
    torn = frame(payload(2))[:1500]  # the process died halfway through a write
    with open(newest, "r+b") as f:
        f.seek(ends[-1])
        f.write(torn)

    reopened = open_journal(tmp_path)
    assert reopened.end == ends[-1]
    assert read_all(reopened) == [payload(0), payload(1)]
    short = b"x" * 100  # shorter than the torn frame: its leftover bytes must not read as data
    reopened.append([frame(short)])
    reopened.close()
    again = open_journal(tmp_path)
    assert read_all(again) == [payload(0), payload(1), short]


def test_a_flipped_bit_in_the_newest_segment_ends_the_data_there(tmp_path: Path) -> None:
    journal = open_journal(tmp_path, first_segment_bytes=64 * KB)
    ends = journal.append([frame(payload(0)), frame(payload(1)), frame(payload(2))])
    journal.close()
    newest = tmp_path / segments(tmp_path)[-1]
    with open(newest, "r+b") as f:
        f.seek(ends[1] + 100)
        f.write(b"\xff")
    assert read_all(open_journal(tmp_path)) == [payload(0), payload(1)]


def test_damage_before_the_newest_segment_is_refused(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    for n in range(8):
        journal.append([frame(payload(n))])
    journal.close()
    first = tmp_path / segments(tmp_path)[0]
    assert len(segments(tmp_path)) > 1
    with open(first, "r+b") as f:
        f.seek(3000)
        f.write(b"\x00\x01")
    with pytest.raises(JournalCorrupt, match="damaged frame"):
        open_journal(tmp_path)


def test_loaded_segments_are_released_and_missing_ones_refused(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    ends = [journal.append([frame(payload(n))])[0] for n in range(10)]
    before = segments(tmp_path)
    journal.release(ends[4])
    after = segments(tmp_path)
    assert after == [name for name in before if int(name[:20]) >= int(after[0][:20])]
    assert len(after) < len(before)
    assert read_all(journal, ends[4]) == [payload(n) for n in range(5, 10)]
    journal.close()

    reopened = open_journal(tmp_path, loaded=ends[6])  # reopening releases what the warehouse loaded
    assert read_all(reopened, ends[6]) == [payload(n) for n in range(7, 10)]
    reopened.close()
    with pytest.raises(JournalCorrupt, match="missing"):
        open_journal(tmp_path, loaded=0)


def test_a_group_larger_than_a_segment_gets_its_own(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    big = payload(1, size=40 * KB)
    journal.append([frame(payload(0))])
    journal.append([frame(big)])
    assert read_all(journal) == [payload(0), big]
    assert max((tmp_path / n).stat().st_size for n in segments(tmp_path)) >= 40 * KB + 8


def test_segments_are_private_files(tmp_path: Path) -> None:
    open_journal(tmp_path).close()
    (name,) = segments(tmp_path)
    assert os.stat(tmp_path / name).st_mode & 0o077 == 0
