"""The Parquet lake the Spark engine reads and writes.

Layout under the lake root (a local path; see docs/spark.md for object stores)::

    raw/raw_events/source=…/entity=…/seq<first>_<i>.parquet   the raw layer, partitioned, append-only
    raw/events/event_date=YYYY-MM-DD/seq<first>_<i>.parquet   product events, partitioned by UTC day
    raw/identity_map/part-0.parquet                           ids → person (rewritten: merges change it)
    raw/_exported.json                                        highest ingest_seq exported, per table
    raw/_views.json                                           the DuckDB file's views over those tables
    marts/<generation>/<table>/part-*.parquet                 each build's tables (Spark writes them)
    marts/_manifest.json                                      table → its generation's directory

Sources and the collector keep landing in the DuckDB file (one writer, acknowledged commits); ``export``
copies what is new there into ``raw/`` (rows are selected by ingest_seq, which only grows; a file whose
name starts at a sequence the state does not cover yet is a crashed export's leftover and is removed
first). A build writes a new generation and commits by replacing the manifest (one atomic rename);
``publish`` then points DuckDB's serving views at the manifest's tables, so the dashboard reads Spark's
marts through DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from growthos.core.errors import ConfigError
from growthos.warehouse.engine import Engine

RAW_TABLES = {
    "raw_events": "source, entity",
    "events": "event_date",
}
"""Append-only tables exported by ingest_seq, and their partition columns."""
EXPORT_CHUNK_ROWS = {"raw_events": 100_000, "events": 500_000}
"""Sequence numbers copied per statement, per table: a partitioned COPY buffers what it writes, so a chunk's
memory is bounded (raw payloads are ~3 KB an order, events ~0.6 KB), and a crashed export resumes from the
last chunk it saved."""
REWRITTEN_TABLES = ("identity_map",)
"""Small tables whose rows change (identity merges): exported whole each time."""
KEEP_GENERATIONS = 2
"""Generations kept after a commit: the new one and the one readers may still be scanning."""


@dataclass(frozen=True)
class Lake:
    root: Path

    @classmethod
    def at(cls, location: str | Path) -> Lake:
        text = str(location)
        if "://" in text and not text.startswith("file://"):
            raise ConfigError(
                f"lake_path {text!r}: only local or mounted paths are supported (mount the bucket, e.g. with "
                "s3fs or gcsfuse, see docs/spark.md)", field="lake_path")
        return cls(Path(text.removeprefix("file://")).absolute())

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def marts(self) -> Path:
        return self.root / "marts"

    def raw_table(self, name: str) -> Path:
        return self.raw / name

    # --- marts: generations and the manifest ------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.marts / "_manifest.json"

    def manifest(self) -> dict[str, str]:
        """Committed mart tables → directory (relative to marts/)."""
        try:
            return json.loads(self.manifest_path.read_text())["tables"]
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"{self.manifest_path} is damaged ({exc}); rebuild with `growthos build --engine "
                              "spark`", field="lake_path") from exc

    def new_generation(self) -> str:
        return datetime.now(UTC).strftime("g%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]

    def commit(self, tables: dict[str, str]) -> None:
        """Make ``tables`` (name → dir relative to marts/) the committed marts, atomically."""
        self.marts.mkdir(parents=True, exist_ok=True)
        tmp = self.marts / f"._manifest.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps({"tables": tables, "committed_at": datetime.now(UTC).isoformat()}, indent=1))
        os.replace(tmp, self.manifest_path)
        self._collect(tables)

    def _collect(self, tables: dict[str, str]) -> None:
        """Delete generations no committed table uses, except the newest KEEP_GENERATIONS."""
        used = {Path(p).parts[0] for p in tables.values()}
        gens = sorted((d for d in self.marts.iterdir() if d.is_dir() and d.name.startswith("g")), reverse=True)
        for old in gens[KEEP_GENERATIONS:]:
            if old.name not in used:
                shutil.rmtree(old, ignore_errors=True)

    def discard(self, generation: str) -> None:
        shutil.rmtree(self.marts / generation, ignore_errors=True)

    # --- raw: export from the DuckDB file ---------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.raw / "_exported.json"

    def exported(self) -> dict[str, int]:
        try:
            return json.loads(self._state_path.read_text())
        except FileNotFoundError:
            return {}

    def views(self) -> dict[str, str]:
        """View name → its DuckDB CREATE VIEW statement."""
        try:
            return json.loads((self.raw / "_views.json").read_text())
        except FileNotFoundError:
            return {}

    def save_views(self, views: dict[str, str]) -> None:
        self.raw.mkdir(parents=True, exist_ok=True)
        tmp = self.raw / f"._views.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(views, indent=1))
        os.replace(tmp, self.raw / "_views.json")

    def _save_state(self, state: dict[str, int]) -> None:
        self.raw.mkdir(parents=True, exist_ok=True)
        tmp = self.raw / f"._exported.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self._state_path)


def _sql_path(path: Path) -> str:
    """A path as a SQL string literal's content (COPY takes no bound parameter for its target)."""
    text = str(path)
    if "'" in text:
        raise ConfigError(f"lake_path must not contain a quote: {text!r}", field="lake_path")
    return text


def _remove_leftovers(table_dir: Path, first_seq: int) -> None:
    """Files of an export that started at ``first_seq`` or later but never saved its state."""
    if not table_dir.exists():
        return
    for file in table_dir.rglob("seq*.parquet"):
        seq = int(file.name[3:].split("_", 1)[0])
        if seq >= first_seq:
            file.unlink()


_SELECTS = {
    "raw_events": "SELECT * FROM raw_events WHERE ingest_seq > $after AND ingest_seq <= $upto",
    "events": 'SELECT *, CAST("timestamp" AS DATE) AS event_date FROM events '
              "WHERE ingest_seq > $after AND ingest_seq <= $upto",
}


def export(warehouse: Engine, lake: Lake) -> dict[str, int]:
    """Copy raw rows and events stored in the DuckDB file since the last export into the lake's raw/
    Parquet; returns the rows exported per table."""
    state = lake.exported()
    counts: dict[str, int] = {}
    for table, partitions in RAW_TABLES.items():
        if not warehouse.table_exists(table):
            continue
        bounds = warehouse.query(f"SELECT coalesce(min(ingest_seq), 1) - 1 AS lo, coalesce(max(ingest_seq), 0) AS hi "
                                 f"FROM {table}").to_pylist()[0]
        after = int(state.get(table, min(0, bounds["lo"])))  # nothing exported yet: from the first row stored
        upto = max(int(bounds["hi"]), after)
        target = lake.raw_table(table)
        _remove_leftovers(target, after + 1)
        counts[table] = 0
        while after < upto:
            first = int(warehouse.query(f"SELECT min(ingest_seq) AS s FROM {table} WHERE ingest_seq > {after}")
                        .column("s")[0].as_py())  # gaps in the sequence are skipped, not walked
            last = min(upto, first + EXPORT_CHUNK_ROWS[table] - 1)
            select = _SELECTS[table].replace("$after", str(after)).replace("$upto", str(last))
            target.mkdir(parents=True, exist_ok=True)
            warehouse.execute(
                f"COPY ({select}) TO '{_sql_path(target)}' (FORMAT parquet, PARTITION_BY ({partitions}), "
                f"FILENAME_PATTERN 'seq{after + 1:020d}_{{i}}', OVERWRITE_OR_IGNORE)"
            )
            counts[table] += int(warehouse.query(f"SELECT count(*) AS n FROM ({select})").column("n")[0].as_py())
            after = state[table] = last
            lake._save_state(state)
        state[table] = upto
        lake._save_state(state)
    for table in REWRITTEN_TABLES:
        if not warehouse.table_exists(table):
            continue
        target = lake.raw_table(table)
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / f".part-{uuid.uuid4().hex}.parquet"
        warehouse.execute(f"COPY (SELECT * FROM {table}) TO '{_sql_path(tmp)}' (FORMAT parquet)")
        os.replace(tmp, target / "part-0.parquet")
        counts[table] = int(warehouse.query(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py())
    lake.save_views(_views_over(warehouse, set(RAW_TABLES) | set(REWRITTEN_TABLES)))
    return counts


def _views_over(warehouse: Engine, tables: set[str]) -> dict[str, str]:
    """The DuckDB file's views that read only exported tables (events_people), as their SQL."""
    import sqlglot
    from sqlglot import exp

    found = warehouse.query(
        "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'").to_pylist()
    views = {}
    for row in found:
        tree = sqlglot.parse_one(row["sql"], read="duckdb")
        if {t.name for t in tree.expression.find_all(exp.Table)} <= tables:
            views[row["view_name"]] = row["sql"]
    return views


def _instants(warehouse: Engine, glob: str) -> str:
    """SELECT over the Parquet files with Spark's timestamps (instants, stored without DuckDB's UTC flag)
    read back as TIMESTAMPTZ, as the DuckDB build types them."""
    source = f"read_parquet('{glob}')"
    columns = warehouse.query(f"DESCRIBE SELECT * FROM {source}").to_pylist()
    naive = [c["column_name"] for c in columns if c["column_type"] == "TIMESTAMP"]
    if not naive:
        return f"SELECT * FROM {source}"
    casts = ", ".join(f'CAST("{c}" AS TIMESTAMPTZ) AS "{c}"' for c in naive)
    return f"SELECT * REPLACE ({casts}) FROM {source}"


def publish(warehouse: Engine, lake: Lake) -> list[str]:
    """Point the DuckDB file's serving views at the lake's committed marts (one transaction: readers see
    the previous marts or the new ones); a table of the same name (a DuckDB build's) is replaced."""
    tables = lake.manifest()
    with warehouse.transaction():
        for name, rel in sorted(tables.items()):
            glob = _sql_path(lake.marts / rel / "*.parquet")
            kind = warehouse.query(
                "SELECT table_type AS t FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
                [name]).column("t").to_pylist()
            if kind and kind[0] != "VIEW":
                warehouse.execute(f'DROP TABLE "{name}"')
            warehouse.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS {_instants(warehouse, glob)}")
    return sorted(tables)
