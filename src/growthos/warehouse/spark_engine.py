"""Spark adapter: the same models and queries, transpiled to Spark SQL, over the Parquet lake.

Every table is a temporary view of this engine's own Spark session (``SparkSession.newSession``: one JVM and
SparkContext per process, views apart per engine): raw tables over ``lake/raw``, marts over the manifest's
generation directories. ``CREATE OR REPLACE TABLE x AS …`` writes Parquet (a new generation inside a
transaction, committed by replacing the manifest; see ``lake.py``) and re-points the view; queries return
Arrow. Spark has no indexes (``CREATE INDEX`` does nothing) and no multi-statement transactions: a
transaction here is a generation, so a failed build leaves the committed marts as they were.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from growthos.core.errors import ConfigError, GrowthOSError, InvalidInput, WarehouseError
from growthos.warehouse.engine import Engine, register_engine
from growthos.warehouse.lake import RAW_TABLES, REWRITTEN_TABLES, Lake, export, publish
from growthos.warehouse.spark_dialect import bind, parsed, spark_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from growthos.config import Settings

SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",  # DuckDB's session zone: timestamps and dates agree
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # not INT96: DuckDB reads it as TIMESTAMPTZ
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.ansi.enabled": "false",  # DuckDB's NULL-on-failure for TRY_CAST and friends
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
_LOCK = threading.Lock()


def spark_session(master: str, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The process's Spark session (created once; later calls reuse its SparkContext)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency of the spark extra
        raise ConfigError("the Spark engine needs pyspark: pip install 'growthos[spark]'", field="engine") from exc
    with _LOCK:
        builder = SparkSession.builder.appName("growthos")
        builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
        for key, value in {**SESSION_CONF, **(conf or {})}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        if not master.startswith("sc://"):  # Spark Connect sessions have no local SparkContext
            session.sparkContext.setLogLevel("ERROR")
        return session


def _arrow(df: DataFrame) -> pa.Table:
    """A DataFrame's rows as Arrow, typed from its Spark schema (also when it has no rows)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(df.schema)
    if hasattr(df, "toArrow"):  # pyspark >= 4
        return df.toArrow()
    batches = df._collect_as_arrow()
    return pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()


Statement = Callable[["SparkEngine", exp.Expression], None]
STATEMENTS: dict[str, Statement] = {}
"""How each kind of statement runs on the lake (key: statement class name, or Create/<kind>)."""


def statement(*keys: str) -> Callable[[Statement], Statement]:
    def wrap(fn: Statement) -> Statement:
        for key in keys:
            STATEMENTS[key] = fn
        return fn

    return wrap


def _key(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Create):
        return f"Create/{tree.args.get('kind', '').upper()}"
    return type(tree).__name__


class SparkEngine:
    name = "spark"
    exclusive = False
    """The lake is not locked: jobs interrupted elsewhere are recorded by DuckDB's exclusive open."""

    def __init__(self, lake: Lake, session: SparkSession) -> None:
        self.lake = lake
        self.spark = session.newSession()
        self._tables: dict[str, str] = {}  # mart name -> directory relative to marts/
        self._generation: str | None = None  # the open transaction's
        self._written: dict[str, str] = {}
        self._depth = 0
        self._refresh()

    # --- views ------------------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Views over the lake's raw tables and the committed marts."""
        for name in (*RAW_TABLES, *REWRITTEN_TABLES):
            path = self.lake.raw_table(name)
            if path.exists() and any(path.rglob("*.parquet")):
                self._view(name, str(path), partitioned=name in RAW_TABLES)
        self._tables = self.lake.manifest()
        for name, rel in self._tables.items():
            self._view(name, str(self.lake.marts / rel))
        for name, sql in self.lake.views().items():
            reads = {t.name for t in parsed(sql).expression.find_all(exp.Table)}
            if name not in self._tables and all(self.table_exists(t) for t in reads):
                self.execute(sql)

    def _view(self, name: str, path: str, partitioned: bool = False) -> None:
        reader = self.spark.read
        if partitioned:
            reader = reader.option("basePath", path)
        df = reader.parquet(path)
        if name == "events":
            df = df.drop("event_date")  # a partition column, not one of DuckDB's
        df.createOrReplaceTempView(name)

    def _df(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> DataFrame:
        tree = parsed(sql)
        if params:
            tree = bind(tree, params)
        return self._run(tree)

    def _run(self, tree: exp.Expression) -> DataFrame:
        text = spark_sql(tree)
        try:
            return self.spark.sql(text)
        except GrowthOSError:
            raise
        except Exception as exc:  # pyspark's AnalysisException, ParseException, Py4JJavaError …
            raise WarehouseError(f"Spark: {_short(exc)}") from exc

    # --- Engine protocol --------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        tree = parsed(sql)
        if params:
            tree = bind(tree, params)
        handler = STATEMENTS.get(_key(tree))
        if handler is None:
            self._collect(self._run(tree))
        else:
            handler(self, tree)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        df = self._df(sql, params)
        try:
            return _arrow(df)
        except Exception as exc:
            raise WarehouseError(f"Spark: {_short(exc)}") from exc

    def _collect(self, df: DataFrame) -> None:
        try:
            df.collect()
        except Exception as exc:
            raise WarehouseError(f"Spark: {_short(exc)}") from exc

    def append(self, table: str, data: pa.Table) -> int:
        """Rows added to a mart (a new file in its current directory). Raw tables are appended by export."""
        if table not in self._tables and table not in self._written:
            raise WarehouseError(f"no table {table!r} to append to on the Spark engine")
        rel = self._written.get(table) or self._tables[table]
        df = self._frame(data)
        self._write(df, rel, mode="append")
        self._view(table, str(self.lake.marts / rel))
        return data.num_rows

    def _frame(self, data: pa.Table) -> DataFrame:
        from pyspark.sql.pandas.types import from_arrow_schema

        return self.spark.createDataFrame(data.to_pylist(), schema=from_arrow_schema(data.schema))

    def reader(self) -> Engine:
        """Spark sessions run concurrent jobs from several threads: this engine, behind a handle whose
        close() leaves it open."""
        return _Reader(self)

    def register(self, name: str, data: pa.Table) -> None:
        self._frame(data).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Tables written inside go to a new generation, made the committed marts at the end."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self._generation = self.lake.new_generation()
        self._written = {}
        try:
            yield
        except BaseException:
            self.lake.discard(self._generation)
            self._written = {}
            self._refresh()
            raise
        else:
            if self._written:
                self.lake.commit({**self._tables, **self._written})
            self._tables = self.lake.manifest()
            self._written = {}
        finally:
            self._depth = 0
            self._generation = None

    def table_exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(table))

    def close(self) -> None:
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)

    # --- builds -----------------------------------------------------------------------------------------

    def before_build(self, warehouse: Engine) -> None:
        """Copy what the DuckDB file stored since the last build into the lake, and see it."""
        export(warehouse, self.lake)
        self._refresh()

    def after_build(self, warehouse: Engine) -> None:
        """Serve the new marts through the DuckDB file's views."""
        publish(warehouse, self.lake)

    # --- statements -------------------------------------------------------------------------------------

    def _materialise(self, name: str, df: DataFrame) -> None:
        if self._generation is None:
            with self.transaction():
                self._materialise(name, df)
            return
        rel = f"{self._generation}/{name}"
        self._write(df, rel, mode="overwrite")
        self._written[name] = rel
        self._view(name, str(self.lake.marts / rel))

    def _write(self, df: DataFrame, rel: str, mode: str) -> None:
        try:
            df.write.mode(mode).parquet(str(self.lake.marts / rel))
        except Exception as exc:
            raise WarehouseError(f"Spark: {_short(exc)}") from exc


class _Reader:
    """One thread's handle on a SparkEngine: everything but close() goes to the engine."""

    def __init__(self, engine: SparkEngine) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def reader(self) -> Engine:
        return self

    def close(self) -> None:
        """The engine stays open for its owner."""


def _table_name(tree: exp.Expression) -> str:
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    return table.name


@statement("Create/TABLE")
def _create_table(engine: SparkEngine, tree: exp.Expression) -> None:
    name = _table_name(tree)
    select = tree.expression
    if select is None:  # CREATE TABLE … (columns): an empty table of that shape
        if tree.args.get("exists") and engine.table_exists(name):
            return
        columns = [c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
        select = exp.select(*[exp.alias_(exp.cast(exp.Null(), c.args["kind"]), c.name) for c in columns]).where(
            exp.false())
    elif tree.args.get("exists") and engine.table_exists(name):
        return
    engine._materialise(name, engine._run(select))


@statement("Create/INDEX")
def _create_index(engine: SparkEngine, tree: exp.Expression) -> None:
    """Spark has no indexes; Parquet's row-group statistics do their work."""


@statement("Create/VIEW")
def _create_view(engine: SparkEngine, tree: exp.Expression) -> None:
    engine._run(tree.expression).createOrReplaceTempView(_table_name(tree))


@statement("Drop")
def _drop(engine: SparkEngine, tree: exp.Expression) -> None:
    name = tree.this.name
    if engine.table_exists(name):
        engine.spark.catalog.dropTempView(name)
    elif not tree.args.get("exists"):
        raise WarehouseError(f"no table {name!r} to drop")
    engine._tables.pop(name, None)
    engine._written.pop(name, None)


@statement("Insert")
def _insert(engine: SparkEngine, tree: exp.Expression) -> None:
    if tree.args.get("alternative"):  # INSERT OR IGNORE / OR REPLACE: needs a key, which Parquet has not
        raise InvalidInput("INSERT OR … is not supported on the Spark engine", field="sql")
    name = _table_name(tree)
    rows = engine._run(tree.expression)
    target = tree.this
    if isinstance(target, exp.Schema):
        rows = rows.toDF(*[c.name for c in target.expressions])
    current = engine.spark.table(name)
    missing = [c for c in current.columns if c not in rows.columns]
    from pyspark.sql import functions as F

    for col in missing:
        rows = rows.withColumn(col, F.lit(None).cast(current.schema[col].dataType))
    rows = rows.select(*[F.col(c).cast(current.schema[c].dataType) for c in current.columns])
    rel = engine._written.get(name) or engine._tables.get(name)
    if rel is None:
        raise WarehouseError(f"no table {name!r} to insert into on the Spark engine")
    engine._write(rows, rel, mode="append")
    engine._view(name, str(engine.lake.marts / rel))


def _short(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.split("\n")[0][:500] if text else type(exc).__name__


@register_engine("spark")
def _open(settings: Settings) -> SparkEngine:
    return SparkEngine(Lake.at(settings.lake_location), spark_session(settings.spark_master, settings.spark_conf))
