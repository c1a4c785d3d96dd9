"""DuckDB adapter: one embedded file under the data directory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from growthos.core.errors import Conflict, WarehouseError
from growthos.warehouse.engine import register_engine

if TYPE_CHECKING:
    from growthos.config import Settings


CHECKPOINT_THRESHOLD = "256MB"


def _short(exc: Exception) -> str:
    """DuckDB's message without its list of candidate functions."""
    return str(exc).split("\n\tCandidate functions:")[0].strip()


_DAMAGE_SIGNS = ("not a valid DuckDB database file", "Corrupt database file", "Serialization Error")
"""What DuckDB says when the database file itself is altered or not a DuckDB file (not "invalidated": that
follows any fatal error, a full disk as well as a damaged file)."""
_TRUNCATED = "Could not read enough bytes from file"
"""What DuckDB says reading past the end of a file: the database's own file when the message names it."""


def warehouse_in_use(path: Path | str) -> Conflict:
    """The error of a warehouse whose file lock another process holds (a running server, a CLI job)."""
    return Conflict(
        f"the warehouse {path} is in use by another process (is `growthos serve` running?); stop it, "
        "or ask the server to build: POST /api/builds with an admin key",
        field="data_dir",
    )


def is_damage(exc: BaseException, path: Path | str) -> bool:
    """True when a DuckDB error says that the database file at ``path`` is damaged (truncated, altered, not
    DuckDB's); a short read of another file (a Parquet file read by a query) is not."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc)
    named = str(path) in text or str(Path(path).resolve()) in text or str(Path(path).absolute()) in text
    return any(sign in text for sign in _DAMAGE_SIGNS) or (_TRUNCATED in text and named)


def warehouse_damaged(path: Path | str | None, exc: BaseException) -> WarehouseError:
    """A readable error for a damaged warehouse file, naming it and the way to recover."""
    where = f"the warehouse file {path}" if path is not None else "the warehouse file"
    return WarehouseError(
        f"{where} is damaged or not a DuckDB database ({_short(exc)}). Run `growthos doctor` to check the data "
        "directory; to recover, restore the latest backup with `growthos restore FILE`, or move the file aside and "
        "rebuild it from the sources with `growthos sync --full` and `growthos build` (see docs/operations.md)",
        field="warehouse",
    )


class DuckDBEngine:
    name = "duckdb"
    exclusive = True
    """A read-write DuckDB file is locked by one process at a time (read-only and in-memory ones: False)."""

    def __init__(
        self, path: Path | str, *, memory_limit: str = "2GB", threads: int | None = None, read_only: bool = False
    ) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {"memory_limit": memory_limit}
        if threads:
            config["threads"] = threads
        self._path: str | None = None if str(path) == ":memory:" else str(path)
        try:
            self._con = duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.Error as exc:
            if "Conflicting lock" in str(exc):
                raise warehouse_in_use(path) from exc
            if is_damage(exc, path):
                raise warehouse_damaged(path, exc) from exc
            raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
        self.execute("SET TimeZone = 'UTC'")
        # Fewer, larger checkpoints: appends of JSON batches otherwise checkpoint every ~16 MB of WAL.
        if not read_only:
            self.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        self._depth = 0
        self.exclusive = not read_only and str(path) != ":memory:"

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        try:
            self._con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise self._error(exc) from exc

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        try:
            return self._con.sql(sql, params=params).to_arrow_table()
        except duckdb.Error as exc:
            raise self._error(exc) from exc

    def append(self, table: str, data: pa.Table) -> int:
        self._con.register("__append_batch", data)
        try:
            cols = ", ".join(f'"{c}"' for c in data.column_names)
            self._con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM __append_batch').fetchall()
        except duckdb.Error as exc:
            raise self._error(exc) from exc
        finally:
            try:
                self._con.unregister("__append_batch")
            except duckdb.Error:  # an aborted transaction refuses even this; the next register replaces it
                pass
        return data.num_rows

    def _error(self, exc: duckdb.Error) -> WarehouseError:
        """A statement's error; damage of the file itself (a truncated file opens, reading its lost blocks
        fails) names the file and the way to recover."""
        if self._path is not None and is_damage(exc, self._path):
            return warehouse_damaged(self._path, exc)
        return WarehouseError(_short(exc))

    def reader(self) -> DuckDBEngine:
        """A connection to the same database for one thread (DuckDB cursors share the database and
        see committed data only), so concurrent requests never share a connection."""
        clone = object.__new__(DuckDBEngine)
        clone._con = self._con.cursor()
        clone._path = self._path
        clone._depth = 0
        return clone

    def register(self, name: str, data: pa.Table) -> None:
        """Expose an Arrow table as a view for the following statements."""
        self._con.register(name, data)

    def unregister(self, name: str) -> None:
        self._con.unregister(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")
        finally:
            self._depth = 0

    def table_exists(self, table: str) -> bool:
        schema, _, name = table.rpartition(".")
        found = self._con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = ?",
            [name, schema or "main"],
        ).fetchall()
        return bool(found and found[0][0])

    def close(self) -> None:
        self._con.close()

    def before_build(self, warehouse: object) -> None:
        """The models read this file's own raw layer."""

    def after_build(self, warehouse: object) -> None:
        """The models wrote this file's own tables."""


@register_engine("duckdb")
def _open(settings: Settings) -> DuckDBEngine:
    return DuckDBEngine(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit, threads=settings.duckdb_threads
    )
