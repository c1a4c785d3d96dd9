"""Each trap of DuckDB → Spark SQL: the query gives the same rows on DuckDB and, through the dialect layer, on
Spark; sqlglot's plain transpilation gives other rows or fails (so each rewrite is needed, and tested)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlglot

from growthos.core.errors import InvalidInput
from growthos.warehouse.duckdb_engine import DuckDBEngine
from growthos.warehouse.spark_dialect import to_spark

pytestmark = pytest.mark.spark

TRAPS = {
    "integer cast of negative fractions": (
        "SELECT CAST(x AS INTEGER) AS v, x::BIGINT AS w FROM (VALUES (-2.5), (-1.5), (-0.4), (0.5), (2.5)) t(x)"),
    "dayofweek numbering": (
        "SELECT d, dayofweek(d) AS dow, extract(dow FROM d) AS dow2 FROM "
        "(SELECT unnest(generate_series(DATE '2024-01-07', DATE '2024-01-13', INTERVAL 1 DAY))::DATE AS d)"),
    "isodow numbering": (
        "SELECT d, isodow(d) AS iso FROM "
        "(SELECT unnest(generate_series(DATE '2024-01-07', DATE '2024-01-13', INTERVAL 1 DAY))::DATE AS d)"),
    "date_diff day across midnight": (
        "SELECT date_diff('day', TIMESTAMP '2024-01-01 23:00', TIMESTAMP '2024-01-02 01:00') AS d, "
        "date_diff('hour', TIMESTAMP '2024-01-01 10:59', TIMESTAMP '2024-01-01 11:01') AS h"),
    "date_diff week and month boundaries": (
        "SELECT date_diff('week', DATE '2024-01-06', DATE '2024-01-08') AS w0, "
        "date_diff('week', DATE '2024-01-01', DATE '2024-01-08') AS w1, "
        "date_diff('month', DATE '2024-01-31', DATE '2024-02-01') AS m, "
        "date_diff('year', DATE '2023-12-31', DATE '2024-01-01') AS y"),
    "median and percentiles": (
        "SELECT median(x) AS m, quantile_cont(x, 0.9) AS p90, quantile_disc(x, 0.5) AS d50 "
        "FROM (VALUES (1), (2), (3), (10)) t(x)"),
    "JSON null vs missing key": (
        """SELECT k, json_extract(p, '$.a') IS NULL AS missing, (p ->> '$.a') IS NULL AS no_text FROM """
        """(VALUES (1, '{"a": null}'), (2, '{}'), (3, '{"a": 0}')) t(k, p) ORDER BY k"""),
    "ordered list": (
        "SELECT list(x ORDER BY y) AS xs, list(DISTINCT x ORDER BY x) AS ds "
        "FROM (VALUES ('c', 1), ('a', 3), ('b', 2), ('a', 4)) t(x, y)"),
    "epoch keeps the fraction": "SELECT epoch(TIMESTAMPTZ '2024-01-01 00:00:00.5+00') AS s",
    "timezone wall clock": (
        "SELECT CAST(timezone('America/New_York', TIMESTAMPTZ '2024-03-10 06:30:00+00') AS DATE) AS d, "
        "hour(timezone('America/New_York', TIMESTAMPTZ '2024-03-10 07:30:00+00')) AS h"),
    "decimal division is DOUBLE": "SELECT CAST(1 AS DECIMAL(18, 2)) / CAST(3 AS DECIMAL(18, 2)) AS q",
    "computed month interval": (
        "SELECT CAST(DATE '2024-01-31' + INTERVAL (n) MONTH AS DATE) AS d FROM (VALUES (1), (13)) t(n)"),
    "json_transform with a schema": (
        """SELECT r.a[1].v AS first_v, r.flag AS flag FROM (SELECT json_transform(p, '{"a": [{"v": "VARCHAR"}], """
        """"flag": "BOOLEAN"}') AS r FROM (VALUES ('{"a": [{"v": "x"}, {"v": "y"}], "flag": true}')) t(p))"""),
    "try_strptime": "SELECT try_strptime('20240131', '%Y%m%d')::DATE AS ok, try_strptime('nope', '%Y%m%d') AS bad",
}
FAITHFUL = {
    "integer division truncates": "SELECT -7 // 2 AS a, 7 // -2 AS b",
    "literal JSON path with a quoted key": (
        """SELECT p ->> '$."a.b"' AS v FROM (VALUES ('{"a.b": "dotted", "a": {"b": "nested"}}')) t(p)"""),
    "arg_min with a (key, value) tuple": (
        "SELECT arg_min(a, (b, a)) AS lo, arg_max(a, (b, a)) AS hi FROM (VALUES ('y', 1), ('x', 1), ('z', 2), "
        "('w', 2)) t(a, b)"),
    "QUALIFY": "SELECT k FROM (VALUES (1, 'a'), (2, 'a'), (3, 'b')) t(k, g) QUALIFY row_number() OVER "
               "(PARTITION BY g ORDER BY k DESC) = 1 ORDER BY k",
}
"""Constructs sqlglot already transpiles faithfully: kept equal on both engines as the layer grows."""


def _norm(value):
    if isinstance(value, Decimal):  # kept apart from floats: DuckDB's `/` gives DOUBLE, Spark's a DECIMAL
        return ("decimal", round(float(value), 9))
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _rows(table) -> list[dict]:
    return [{k: _norm(v) for k, v in row.items()} for row in table.to_pylist()]


@pytest.fixture(scope="module")
def duck():
    engine = DuckDBEngine(":memory:")
    yield engine
    engine.close()


@pytest.mark.parametrize("trap", sorted(TRAPS))
def test_trap_gives_duckdb_answers_on_spark(trap, duck, spark_engine):
    sql = TRAPS[trap]
    expected = _rows(duck.query(sql))
    assert _rows(spark_engine.query(sql)) == expected
    naive = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    try:
        plain = _rows_of(spark_engine, naive)
    except Exception:  # noqa: BLE001 - the plain transpilation does not even run: the trap is real
        return
    assert plain != expected, f"sqlglot alone already gets {trap!r} right: the rewrite is not needed"


@pytest.mark.parametrize("construct", sorted(FAITHFUL))
def test_faithful_constructs_stay_equal(construct, duck, spark_engine):
    assert _rows(spark_engine.query(FAITHFUL[construct])) == _rows(duck.query(FAITHFUL[construct]))


def test_ties_of_arg_min_and_arg_max_are_broken_by_the_value_whatever_the_row_order(spark_engine):
    """DuckDB and Spark both return any of the tied rows (the first they meet); on Spark the layer breaks
    ties by the value, the order models get on DuckDB by writing the key as (key, value)."""
    answers, plain = set(), set()
    for rows in ("('y', 1), ('x', 1), ('z', 2), ('w', 2)", "('x', 1), ('y', 1), ('w', 2), ('z', 2)"):
        sql = f"SELECT arg_min(a, b) AS lo, arg_max(a, b) AS hi FROM (VALUES {rows}) t(a, b)"
        answers.add(tuple(spark_engine.query(sql).to_pylist()[0].values()))
        naive = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        plain.add(tuple(spark_engine.spark.sql(naive).collect()[0]))
    assert answers == {("x", "z")}
    assert len(plain) == 2  # without the rewrite the answer follows the row order


def _rows_of(engine, spark_sql: str) -> list[dict]:
    df = engine.spark.sql(spark_sql)
    return [{k: _norm(v) for k, v in row.asDict(recursive=True).items()} for row in df.collect()]


def test_the_known_answers_of_the_traps(duck):
    """The DuckDB side of a few traps by hand, so an engine upgrade that changes them is noticed."""
    assert [r["v"] for r in _rows(duck.query(TRAPS["integer cast of negative fractions"]))] == [-3, -2, 0, 1, 3]
    assert [r["dow"] for r in _rows(duck.query(TRAPS["dayofweek numbering"]))] == [0, 1, 2, 3, 4, 5, 6]
    assert _rows(duck.query(TRAPS["date_diff day across midnight"])) == [{"d": 1, "h": 1}]
    assert _rows(duck.query(TRAPS["median and percentiles"])) == [{"m": 2.5, "p90": 7.9, "d50": 2}]
    assert _rows(duck.query(FAITHFUL["arg_min with a (key, value) tuple"])) == [{"lo": "x", "hi": "z"}]


@pytest.mark.parametrize("value", ["o'k", "back\\slash", "quote\"s", "new\nline", "'; DROP TABLE x; --", "ünï"])
def test_bound_strings_arrive_unchanged(value, spark_engine):
    assert spark_engine.query("SELECT ? AS v", [value]).column("v").to_pylist() == [value]
    assert spark_engine.query("SELECT $v AS v", {"v": value}).column("v").to_pylist() == [value]


def test_bound_values_of_every_type(duck, spark_engine):
    params = {"d": date(2024, 2, 29), "ts": datetime(2024, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC),
              "n": 3, "x": 2.5, "b": True, "none": None, "win": timedelta(days=7, seconds=1, microseconds=5)}
    sql = ("SELECT $d AS d, $ts AS ts, $n + 1 AS n, $x * 2 AS x, $b AS b, $none IS NULL AS isnull, "
           "$ts + $win AS later")
    assert _rows(spark_engine.query(sql, params)) == _rows(duck.query(sql, params))


def test_a_property_path_parameter_is_read_as_spark_json_path(duck, spark_engine):
    sql = """SELECT p ->> $path AS v FROM (VALUES ('{"a.b": 1, "a": {"b": 2}}')) t(p)"""
    params = {"path": '$."a.b"'}
    assert _rows(spark_engine.query(sql, params)) == _rows(duck.query(sql, params)) == [{"v": "1"}]
    plain = spark_engine.spark.sql("""SELECT get_json_object('{"a.b": 1}', '$."a.b"') AS v""").collect()
    assert plain[0]["v"] is None  # Spark does not read DuckDB's quoted key: the path must be converted


def test_functions_outside_the_subset_are_refused_with_the_alternative():
    with pytest.raises(InvalidInput, match="json_type.*->>") as err:
        to_spark("SELECT json_type(p, '$.a') FROM t")
    assert err.value.field == "sql"


def test_nan_free_percentile_of_no_rows(duck, spark_engine):
    sql = "SELECT quantile_cont(x, 0.5) AS q FROM (VALUES (1.0)) t(x) WHERE false"
    got = _rows(spark_engine.query(sql))
    assert got == _rows(duck.query(sql)) and (got[0]["q"] is None or not math.isnan(got[0]["q"]))


def test_filtered_ordered_lists_and_lists_of_no_rows(duck, spark_engine):
    sql = ("SELECT g, list(x ORDER BY y) FILTER (WHERE y > 1) AS xs, list(DISTINCT x ORDER BY x) FILTER "
           "(WHERE y > 1) AS ds FROM (VALUES (1, 'c', 1), (1, 'a', 3), (1, 'b', 2), (2, 'z', 0)) t(g, x, y) "
           "GROUP BY g ORDER BY g")
    expected = _rows(duck.query(sql))
    assert expected == [{"g": 1, "xs": ["b", "a"], "ds": ["a", "b"]}, {"g": 2, "xs": None, "ds": None}]
    assert _rows(spark_engine.query(sql)) == expected


def test_operands_of_rewritten_expressions_are_rewritten_too(duck, spark_engine):
    """A trap inside another (epoch inside quantile_cont, dayofweek inside arg_min): both are fixed."""
    sql = ("SELECT quantile_cont(epoch(b) - epoch(a), 0.5) AS gap, arg_min(dayofweek(a), b) AS dow FROM (VALUES "
           "(TIMESTAMPTZ '2024-01-07 10:00:00+00', TIMESTAMPTZ '2024-01-07 10:00:39.259+00')) t(a, b)")
    expected = _rows(duck.query(sql))
    assert _rows(spark_engine.query(sql)) == expected
    assert abs(expected[0]["gap"] - 39.259) < 1e-6 and expected[0]["dow"] == 0


def test_unnests_side_by_side_are_zipped_not_crossed(duck, spark_engine):
    sql = ("SELECT unnest($names) AS feature, unnest($events) AS event")
    params = {"names": ["planning", "recipes", "recipes"], "events": ["Meal Plan Created", "Recipe Generated"]}
    expected = _rows(duck.query(sql, params))
    assert expected == [{"feature": "planning", "event": "Meal Plan Created"},
                        {"feature": "recipes", "event": "Recipe Generated"}, {"feature": "recipes", "event": None}]
    assert _rows(spark_engine.query(sql, params)) == expected
