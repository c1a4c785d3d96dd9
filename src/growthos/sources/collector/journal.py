"""The collector's journal: an append-only, checksummed log of event batches on disk.

A request is acknowledged once its batch is in the journal and the journal is synced (``fdatasync``);
a loader then moves batches into the warehouse and records, in the same warehouse transaction, the
journal position it has loaded up to. After a crash the loader resumes from that position, so every
acknowledged batch reaches the warehouse exactly once (and ``message_key`` stays unique regardless).

Layout: segment files ``<start offset, 20 digits>.seg`` in one directory. Positions are global byte
offsets: a segment starting at offset S holds positions S .. S + its size. A frame is
``<u32 payload length><u32 CRC-32 of the payload><payload>`` (little-endian). Only synced frames were
ever acknowledged, so on opening, a torn or corrupt frame at the end of the newest segment (a crash
during a write) is cut off; one anywhere else means the disk lost acknowledged data, and opening
fails loudly instead of skipping it.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path

from growthos.core.errors import GrowthOSError

_HEADER = struct.Struct("<II")
_SUFFIX = ".seg"
MAX_FRAME = 64 * 1024 * 1024


class JournalCorrupt(GrowthOSError):
    """Acknowledged data in the journal cannot be read back: the disk lost or altered it."""

    title = "Collector journal corrupt"


class Journal:
    """Segments under ``directory``; one appender thread, one reader thread at a time."""

    def __init__(self, directory: Path, *, segment_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._starts: list[int] = []
        self._file = None  # the newest segment, open for appending
        self._end = 0

    # -- opening -----------------------------------------------------------------------------------

    def open(self, loaded: int) -> None:
        """Open for appending after the loader's position ``loaded``: drops segments it has loaded
        whole, checks every frame after it and cuts a torn tail off the newest segment."""
        self.directory.mkdir(parents=True, exist_ok=True)
        starts = sorted(int(p.name[: -len(_SUFFIX)]) for p in self.directory.glob(f"*{_SUFFIX}")
                        if p.name[: -len(_SUFFIX)].isdigit())
        if starts and loaded < starts[0]:
            raise JournalCorrupt(f"the journal starts at {starts[0]} but the warehouse has loaded only up to "
                                 f"{loaded}: segments are missing from {self.directory}")
        self._starts = starts
        for i, start in enumerate(starts):
            newest = i == len(starts) - 1
            size = self._path(start).stat().st_size
            if not newest and starts[i + 1] != start + size:
                raise JournalCorrupt(f"segment {start} ends at {start + size}, the next starts at {starts[i + 1]}")
            if start + size <= loaded and not newest:
                continue
            self._check(start, max(loaded - start, 0), truncate=newest)
        self.release(loaded)
        if not self._starts:
            self._starts = [loaded]
            self._path(loaded).touch()
            _sync_dir(self.directory)
        last = self._starts[-1]
        self._file = open(self._path(last), "ab", buffering=0)  # noqa: SIM115 - held for the journal's life
        self._end = last + self._file.tell()
        if self._end < loaded:
            raise JournalCorrupt(f"the journal ends at {self._end}, before the loaded position {loaded}")

    def _check(self, start: int, offset: int, *, truncate: bool) -> None:
        path = self._path(start)
        with open(path, "rb") as f:
            data = f.read()
        good = offset
        while good < len(data):
            frame_end = _frame_end(data, good)
            if frame_end is None:
                break
            good = frame_end
        if good == len(data):
            return
        if not truncate:
            raise JournalCorrupt(f"segment {path.name} has a damaged frame at byte {good}")
        with open(path, "r+b") as f:  # never acknowledged: the process died while writing it
            f.truncate(good)
            os.fsync(f.fileno())

    # -- appending ---------------------------------------------------------------------------------

    @property
    def end(self) -> int:
        """Position after the last synced frame."""
        with self._lock:
            return self._end

    def append(self, payloads: list[bytes]) -> list[int]:
        """Write the frames, sync once, and return each frame's end position."""
        assert self._file is not None, "journal not open"
        parts, ends = [], []
        end = self._end
        for payload in payloads:
            if len(payload) > MAX_FRAME:
                raise ValueError(f"a journal frame of {len(payload)} bytes exceeds {MAX_FRAME}")
            parts.append(_HEADER.pack(len(payload), zlib.crc32(payload)))
            parts.append(payload)
            end += _HEADER.size + len(payload)
            ends.append(end)
        data = b"".join(parts)
        written = 0
        view = memoryview(data)
        while written < len(data):
            written += self._file.write(view[written:])
        os.fdatasync(self._file.fileno())
        with self._lock:
            self._end = end
        if end - self._starts[-1] >= self.segment_bytes:
            self._rotate()
        return ends

    def _rotate(self) -> None:
        self._file.close()
        with self._lock:
            self._starts.append(self._end)
        self._file = open(self._path(self._end), "ab", buffering=0)  # noqa: SIM115
        _sync_dir(self.directory)

    # -- reading -----------------------------------------------------------------------------------

    def read(self, position: int, max_bytes: int, until: int | None = None) -> tuple[list[memoryview], list[int]]:
        """Whole frames from ``position`` on, in one segment, up to the synced end (or ``until``, a frame
        boundary before it) and about ``max_bytes`` (at least one frame): their payloads and end positions."""
        with self._lock:
            end, starts = self._end, list(self._starts)
        if until is not None:
            end = min(end, until)
        if position >= end:
            return [], []
        index = max(i for i, s in enumerate(starts) if s <= position)
        start = starts[index]
        limit = starts[index + 1] if index + 1 < len(starts) else end
        with open(self._path(start), "rb") as f:
            f.seek(position - start)
            data = f.read(min(limit - position, max_bytes))
            if len(data) >= _HEADER.size:  # the first frame whole, however large
                missing = _HEADER.size + _HEADER.unpack_from(data)[0] - len(data)
                if missing > 0:
                    data += f.read(missing)
        view = memoryview(data)
        payloads: list[memoryview] = []
        ends: list[int] = []
        offset = 0
        while offset + _HEADER.size <= len(view):
            length = _HEADER.unpack_from(view, offset)[0]
            if offset + _HEADER.size + length > len(view):
                break
            payloads.append(view[offset + _HEADER.size: offset + _HEADER.size + length])
            offset += _HEADER.size + length
            ends.append(position + offset)
        if not payloads:
            raise JournalCorrupt(f"cannot read a frame at journal position {position}")
        return payloads, ends

    def release(self, position: int) -> None:
        """Delete the segments that end at or before ``position`` (all of them loaded), never the newest."""
        with self._lock:
            while len(self._starts) > 1 and self._starts[1] <= position:
                start = self._starts.pop(0)
                self._path(start).unlink(missing_ok=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _path(self, start: int) -> Path:
        return self.directory / f"{start:020d}{_SUFFIX}"


def _frame_end(data: bytes, offset: int) -> int | None:
    """End of the whole, intact frame at ``offset``, else None."""
    if offset + _HEADER.size > len(data):
        return None
    length, crc = _HEADER.unpack_from(data, offset)
    end = offset + _HEADER.size + length
    if end > len(data) or zlib.crc32(data[offset + _HEADER.size: end]) != crc:
        return None
    return end


def _sync_dir(directory: Path) -> None:
    """Make a new segment's directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
