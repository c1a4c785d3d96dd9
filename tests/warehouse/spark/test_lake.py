"""The lake: incremental export from the DuckDB file, crashed exports, generations and the manifest, and a
failed Spark transaction that leaves the committed marts as they were."""

from __future__ import annotations

import pytest

from growthos.core.errors import ConfigError, WarehouseError
from growthos.warehouse.duckdb_engine import DuckDBEngine
from growthos.warehouse.lake import Lake, export, publish
from growthos.warehouse.spark_engine import SparkEngine

pytestmark = pytest.mark.spark


@pytest.fixture
def duck(tmp_path):
    engine = DuckDBEngine(tmp_path / "warehouse.duckdb", memory_limit="512MB")
    engine.execute("CREATE TABLE raw_events (record_key VARCHAR, source VARCHAR, entity VARCHAR, payload VARCHAR, "
                   "ingest_seq BIGINT)")
    yield engine
    engine.close()


def _add(duck, first: int, last: int, source: str = "shopify") -> None:
    duck.execute("INSERT INTO raw_events SELECT 'k' || i, ?, 'order', '{}', i FROM range(?, ?) r(i)",
                 [source, first, last + 1])


def test_export_copies_only_new_rows_partitioned(duck, tmp_path):
    lake = Lake.at(tmp_path / "lake")
    _add(duck, 1, 5)
    assert export(duck, lake)["raw_events"] == 5
    _add(duck, 6, 8, source="meta")
    assert export(duck, lake)["raw_events"] == 3
    assert export(duck, lake)["raw_events"] == 0
    assert {p.name for p in lake.raw_table("raw_events").iterdir()} == {"source=shopify", "source=meta"}
    keys = duck.query(f"SELECT record_key FROM read_parquet('{lake.raw_table('raw_events')}/**/*.parquet', "
                      "hive_partitioning = true) ORDER BY ingest_seq").column(0).to_pylist()
    assert keys == [f"k{i}" for i in range(1, 9)]


def test_the_first_export_copies_every_row_whatever_its_first_sequence(duck, tmp_path):
    """Rows bulk-loaded from ingest_seq 0 (the collector starts at 1) are exported too, once."""
    lake = Lake.at(tmp_path / "lake")
    _add(duck, 0, 4)
    assert export(duck, lake)["raw_events"] == 5
    _add(duck, 5, 6)
    assert export(duck, lake)["raw_events"] == 2
    keys = duck.query(f"SELECT record_key FROM read_parquet('{lake.raw_table('raw_events')}/**/*.parquet') "
                      "ORDER BY ingest_seq").column(0).to_pylist()
    assert keys == [f"k{i}" for i in range(7)]


def test_a_large_export_goes_in_bounded_chunks_across_gaps_and_resumes_after_a_crash(duck, tmp_path, monkeypatch):
    """Each COPY holds at most a chunk of sequence numbers (a partitioned COPY of everything at once ran out
    of memory on the x100 demo's raw layer); gaps are skipped; a crash between chunks loses and repeats nothing."""
    import growthos.warehouse.lake as lake_module

    monkeypatch.setitem(lake_module.EXPORT_CHUNK_ROWS, "raw_events", 4)
    lake = Lake.at(tmp_path / "lake")
    _add(duck, 1, 10)
    _add(duck, 1_000_000, 1_000_002)  # a gap of a million sequence numbers: 1 chunk, not 250,000
    copies: list[str] = []
    real_execute = duck.execute

    def counting_execute(sql, params=None):
        result = real_execute(sql, params)
        if sql.startswith("COPY"):
            copies.append(sql)
            if len(copies) == 3:
                raise RuntimeError("killed after the third chunk's files, before its state")
        return result

    monkeypatch.setattr(duck, "execute", counting_execute)
    with pytest.raises(RuntimeError):
        export(duck, lake)
    assert lake.exported() == {"raw_events": 8}  # two chunks of four saved before the crash
    monkeypatch.setattr(duck, "execute", real_execute)
    assert export(duck, lake)["raw_events"] == 5
    keys = duck.query(f"SELECT record_key FROM read_parquet('{lake.raw_table('raw_events')}/**/*.parquet') "
                      "ORDER BY ingest_seq").column(0).to_pylist()
    assert keys == [f"k{i}" for i in (*range(1, 11), 1_000_000, 1_000_001, 1_000_002)]
    assert len({f.name.split("_")[0] for f in lake.raw_table("raw_events").rglob("*.parquet")}) == 4  # 4 chunks


def test_files_of_a_crashed_export_are_removed_before_the_next(duck, tmp_path):
    lake = Lake.at(tmp_path / "lake")
    _add(duck, 1, 3)
    export(duck, lake)
    _add(duck, 4, 6)
    export(duck, lake)
    # the second export wrote its files but "crashed" before saving its state
    lake._save_state({"raw_events": 3})
    assert export(duck, lake)["raw_events"] == 3
    n = duck.query(f"SELECT count(*) AS n FROM read_parquet('{lake.raw_table('raw_events')}/**/*.parquet')")
    assert n.column("n")[0].as_py() == 6  # once each, not 9


def test_a_failed_transaction_leaves_the_committed_marts(spark_engine: SparkEngine):
    spark_engine.execute("CREATE OR REPLACE TABLE m AS SELECT 1 AS v")
    committed = spark_engine.lake.manifest()
    with pytest.raises(WarehouseError), spark_engine.transaction():
        spark_engine.execute("CREATE OR REPLACE TABLE m AS SELECT 2 AS v")
        spark_engine.execute("CREATE OR REPLACE TABLE broken AS SELECT no_such_column FROM m")
    assert spark_engine.lake.manifest() == committed
    assert spark_engine.query("SELECT v FROM m").column("v").to_pylist() == [1]
    assert not spark_engine.table_exists("broken")
    generations = [d.name for d in spark_engine.lake.marts.iterdir() if d.is_dir()]
    assert generations == [committed["m"].split("/")[0]]  # the failed one's files are gone


def test_a_commit_switches_every_table_at_once_and_old_generations_are_collected(spark_engine: SparkEngine):
    for v in range(4):
        with spark_engine.transaction():
            spark_engine.execute(f"CREATE OR REPLACE TABLE a AS SELECT {v} AS v")
            spark_engine.execute("CREATE OR REPLACE TABLE b AS SELECT v + 10 AS w FROM a")
    manifest = spark_engine.lake.manifest()
    assert manifest["a"].split("/")[0] == manifest["b"].split("/")[0]
    assert len([d for d in spark_engine.lake.marts.iterdir() if d.is_dir()]) == 2
    assert spark_engine.query("SELECT w FROM b").column("w").to_pylist() == [13]


def test_publish_serves_the_marts_from_duckdb(spark_engine: SparkEngine, duck):
    duck.execute("CREATE TABLE m AS SELECT 'duckdb' AS built_by")
    spark_engine.execute("CREATE OR REPLACE TABLE m AS SELECT 'spark' AS built_by, DATE '2024-02-29' AS d, "
                         "TIMESTAMP '2024-01-01 12:00:00' AS ts")
    publish(duck, spark_engine.lake)
    row = duck.query("SELECT built_by, d, typeof(ts) AS t FROM m").to_pylist()[0]
    assert row["built_by"] == "spark" and str(row["d"]) == "2024-02-29" and row["t"] == "TIMESTAMP WITH TIME ZONE"


def test_a_damaged_manifest_is_reported_with_the_way_out(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    lake.marts.mkdir(parents=True)
    lake.manifest_path.write_text("{not json")
    with pytest.raises(ConfigError, match="rebuild") as err:
        lake.manifest()
    assert err.value.field == "lake_path"


def test_object_store_urls_are_refused_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError) as err:
        Lake.at("s3a://bucket/lake")
    assert err.value.field == "lake_path"
