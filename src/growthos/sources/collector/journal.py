"""The collector's journal: an append-only, checksummed log of event batches on disk.

A request is acknowledged once its batch is written to the journal durably; a loader then moves
batches into the warehouse and records, in the same warehouse transaction, the journal position it has
loaded up to. After a crash the loader resumes from that position, so every acknowledged batch reaches
the warehouse exactly once (and ``message_key`` stays unique regardless).

Layout: segment files ``<start position, 20 digits>.seg`` in one directory. Positions are global byte
offsets of the journal's data: a segment starting at S holds positions S .. S + its data. A frame is
``<u32 payload length><u32 CRC-32 of the payload><payload>`` (little-endian); a zero length ends the
data. Segments are created filled with zeros and written in place (``pwrite`` on an ``O_DSYNC`` file):
overwriting allocated blocks needs no file-system metadata update, so a durable write costs ~0.1 ms
where appending plus ``fdatasync`` cost 1.2 ms (measured on this machine, 70 KB writes, p50).

Recovery: frames after the loaded position are checked on opening. Only durable frames were ever
acknowledged, so the first torn or corrupt frame of the newest segment ends its data (a crash during a
write) and what follows is zeroed; a damaged frame anywhere else means the disk lost acknowledged data,
and opening fails loudly instead of skipping it.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from pathlib import Path

from growthos.core.errors import GrowthOSError

_HEADER = struct.Struct("<II")
_SUFFIX = ".seg"
_ZEROS = bytes(1 << 20)
MAX_FRAME = 16 * 1024 * 1024


class JournalCorrupt(GrowthOSError):
    """Acknowledged data in the journal cannot be read back: the disk lost or altered it."""

    title = "Collector journal corrupt"


def frame(payload: bytes) -> bytes:
    """``payload`` framed for :meth:`Journal.append`: length, CRC-32, payload."""
    if not payload or len(payload) > MAX_FRAME:
        raise ValueError(f"a journal frame holds 1 to {MAX_FRAME} bytes, not {len(payload)}")
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


class Journal:
    """Segments under ``directory``; one appender thread, one reader thread at a time."""

    def __init__(self, directory: Path, *, segment_bytes: int = 32 * 1024 * 1024,
                 first_segment_bytes: int = 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        """Largest size of a new segment (a single larger group gets a segment of its own size)."""
        self.first_segment_bytes = first_segment_bytes
        """Size of the first segment; each next one doubles up to ``segment_bytes`` (small uses stay small)."""
        self._lock = threading.Lock()
        self._starts: list[int] = []
        self._fd: int | None = None  # the newest segment, open for writing
        self._capacity = 0  # its size
        self._end = 0
        self.sync_seconds = 0.0
        """Time spent in durable writes, in total."""

    # -- opening -----------------------------------------------------------------------------------

    def open(self, loaded: int) -> None:
        """Open for appending after the loader's position ``loaded``: drops segments it has loaded
        whole, checks every frame after it and ends the newest segment's data at its first bad frame."""
        self.directory.mkdir(parents=True, exist_ok=True)
        starts = sorted(int(p.name[: -len(_SUFFIX)]) for p in self.directory.glob(f"*{_SUFFIX}")
                        if p.name[: -len(_SUFFIX)].isdigit())
        if starts and loaded < starts[0]:
            raise JournalCorrupt(f"the journal starts at {starts[0]} but the warehouse has loaded only up to "
                                 f"{loaded}: segments are missing from {self.directory}")
        self._starts = starts
        end = loaded
        for i, start in enumerate(starts):
            newest = i == len(starts) - 1
            if not newest and starts[i + 1] <= loaded:
                continue  # loaded whole: released below
            data_end = self._scan(start, max(loaded - start, 0))
            if not newest and start + data_end != starts[i + 1]:
                raise JournalCorrupt(f"segment {self._path(start).name} has a damaged frame at byte {data_end}")
            end = start + data_end
        if end < loaded:
            raise JournalCorrupt(f"the journal ends at {end}, before the loaded position {loaded}")
        self._end = end
        self.release(loaded)
        if not self._starts:
            self._create(loaded, self.first_segment_bytes)
        else:
            self._open_segment(self._starts[-1])
            self._zero_from(self._end - self._starts[-1])  # a torn frame must not be read as data later

    def _scan(self, start: int, offset: int) -> int:
        """Offset after the last intact frame of the segment at ``start``, from ``offset`` on."""
        with open(self._path(start), "rb") as f:
            data = f.read()
        while True:
            frame_end = _frame_end(data, offset)
            if frame_end is None:
                return offset
            offset = frame_end

    # -- appending ---------------------------------------------------------------------------------

    @property
    def end(self) -> int:
        """Position after the last durable frame."""
        with self._lock:
            return self._end

    def append(self, frames: list[bytes]) -> list[int]:
        """Write whole frames (see :func:`frame`) durably; returns each one's end position. One system
        call for the group; a failed write leaves the journal's end where it was (the next write
        overwrites the bytes)."""
        assert self._fd is not None, "journal not open"
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        offset = self._end - self._starts[-1]
        if offset + len(data) > self._capacity:
            self._rotate(len(data))
            offset = 0
        ends, end = [], self._end
        for f in frames:
            end += len(f)
            ends.append(end)
        started = time.perf_counter()
        view, written = memoryview(data), 0
        while written < len(data):
            written += os.pwrite(self._fd, view[written:], offset + written)
        self.sync_seconds += time.perf_counter() - started
        with self._lock:
            self._end = end
        return ends

    def _rotate(self, needed: int) -> None:
        """A new segment starting at the current end, large enough for ``needed`` bytes."""
        size = min(self._capacity * 2, self.segment_bytes)
        old = self._fd
        self._create(self._end, max(size, needed + _HEADER.size))  # on failure the old segment stays current
        os.close(old)

    def _create(self, start: int, size: int) -> None:
        """A zero-filled segment, durable with its directory entry, then the one open for writing."""
        path = self._path(start)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            remaining = size
            while remaining:
                remaining -= os.write(fd, _ZEROS[: min(remaining, len(_ZEROS))])
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _sync_dir(self.directory)
        with self._lock:
            if not self._starts or self._starts[-1] != start:  # an empty newest segment is replaced
                self._starts.append(start)
        self._open_segment(start)

    def _open_segment(self, start: int) -> None:
        self._fd = os.open(self._path(start), os.O_RDWR | os.O_DSYNC)
        self._capacity = os.fstat(self._fd).st_size

    def _zero_from(self, offset: int) -> None:
        """Zero the newest segment from ``offset`` up to the first 8 zero bytes already there."""
        assert self._fd is not None
        while offset + _HEADER.size <= self._capacity:
            if os.pread(self._fd, _HEADER.size, offset) == bytes(_HEADER.size):
                return
            chunk = min(len(_ZEROS), self._capacity - offset)
            os.pwrite(self._fd, _ZEROS[:chunk], offset)
            offset += chunk

    # -- reading -----------------------------------------------------------------------------------

    def read(self, position: int, max_bytes: int, until: int | None = None) -> tuple[list[memoryview], list[int]]:
        """Whole frames from ``position`` on, in one segment, up to the durable end (or ``until``, a frame
        boundary before it) and about ``max_bytes`` (at least one frame): their payloads and end positions."""
        with self._lock:
            end, starts = self._end, list(self._starts)
        if until is not None:
            end = min(end, until)
        if position >= end:
            return [], []
        index = max(i for i, s in enumerate(starts) if s <= position)
        start = starts[index]
        limit = min(starts[index + 1], end) if index + 1 < len(starts) else end
        with open(self._path(start), "rb") as f:
            f.seek(position - start)
            data = f.read(min(limit - position, max(max_bytes, _HEADER.size)))
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
            if length == 0 or offset + _HEADER.size + length > len(view):
                break
            payloads.append(view[offset + _HEADER.size: offset + _HEADER.size + length])
            offset += _HEADER.size + length
            ends.append(position + offset)
        if not payloads:
            raise JournalCorrupt(f"cannot read a frame at journal position {position}")
        return payloads, ends

    def release(self, position: int) -> None:
        """Delete the segments whose data ends at or before ``position`` (all loaded), never the newest."""
        with self._lock:
            while len(self._starts) > 1 and self._starts[1] <= position:
                start = self._starts.pop(0)
                self._path(start).unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _path(self, start: int) -> Path:
        return self.directory / f"{start:020d}{_SUFFIX}"


def _frame_end(data: bytes, offset: int) -> int | None:
    """End of the whole, intact frame at ``offset``, else None (a zero length ends the data)."""
    if offset + _HEADER.size > len(data):
        return None
    length, crc = _HEADER.unpack_from(data, offset)
    end = offset + _HEADER.size + length
    if length == 0 or end > len(data) or zlib.crc32(data[offset + _HEADER.size: end]) != crc:
        return None
    return end


def _sync_dir(directory: Path) -> None:
    """Make a new segment's directory entry durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
