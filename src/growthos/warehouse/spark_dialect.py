"""DuckDB SQL → Spark SQL: sqlglot's transpiler plus the rewrites that keep the answers equal.

GrowthOS writes every model and query once, in DuckDB's dialect. ``sqlglot.transpile(write="spark")`` turns
most of it into valid Spark SQL, but some constructs come out valid and *different*; each rewrite here fixes
one such trap, measured on both engines (tests/warehouse/spark/test_spark_dialect.py has a case per trap that
fails without its rewrite):

- integer casts of fractions: DuckDB rounds half away from zero, Spark truncates → ``CAST(ROUND(x) AS INT)``;
- ``dayofweek`` / ``extract(dow)``: DuckDB counts Sunday = 0, Spark Sunday = 1 → minus one;
- ``date_diff``: DuckDB counts unit *boundaries* crossed (23:00 → 01:00 is one day), Spark's ``datediff(unit)``
  counts whole units *elapsed* → the difference of truncated dates / calendar fields; DuckDB's weeks are
  whole seven-day spans (days // 7);
- ``median`` / ``quantile_cont`` / ``quantile_disc``: exact ``percentile`` and ``percentile_disc``, never an
  approximation;
- ``->>`` / ``->``: Spark's ``get_json_object`` knows neither DuckDB's quoted keys (``$."a.b"``) nor the
  difference between a string and its JSON text (``->`` keeps the quotes) → bracket paths, and ``to_json`` of
  the string for ``->``;
- ``arg_min`` / ``arg_max``: any of the tied rows on both engines → ties broken by the value itself
  (``min_by(a, struct(b, a))``); models whose key can tie write ``arg_max(a, (b, a))``, which DuckDB orders the
  same way;
- ``list(x ORDER BY y)``: Spark's ``collect_list`` has no order → sort (key, value) structs, keep the values;
- ``epoch`` (seconds with the fraction), ``epoch_us``, ``timezone(zone, timestamptz)``, ``range``/``//``: spelt
  the Spark way;
- bound parameters: Spark SQL has none for arbitrary statements, so each ``?`` / ``$name`` becomes a literal
  *node* (sqlglot writes and escapes it; user input is never pasted into text).

Spark must run with ``spark.sql.session.timeZone=UTC`` (the engine sets it): DuckDB's session zone is UTC too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from growthos.core.errors import InvalidInput

Rewrite = Callable[[exp.Expression], exp.Expression]
REWRITES: dict[type[exp.Expression], Rewrite] = {}
"""Rewrite of each expression class that transpiles to different answers (applied bottom-up)."""
FUNCTIONS: dict[str, Rewrite] = {}
"""Rewrite of each DuckDB function sqlglot keeps by name (exp.Anonymous), lower-case name → rewrite."""


def rewrites(*classes: type[exp.Expression]) -> Callable[[Rewrite], Rewrite]:
    def wrap(fn: Rewrite) -> Rewrite:
        for cls in classes:
            REWRITES[cls] = fn
        return fn

    return wrap


def function(name: str) -> Callable[[Rewrite], Rewrite]:
    def wrap(fn: Rewrite) -> Rewrite:
        FUNCTIONS[name] = fn
        return fn

    return wrap


def to_spark(sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> str:
    """One DuckDB statement as Spark SQL, its parameters bound as literals."""
    tree = parsed(sql)
    if params:
        tree = bind(tree, params)
    return spark_sql(tree)


@lru_cache(maxsize=1024)
def _parsed(sql: str) -> exp.Expression:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise InvalidInput(f"SQL does not parse: {exc}", field="sql") from exc
    return tree.transform(_rewrite, copy=True)


def parsed(sql: str) -> exp.Expression:
    """The statement parsed as DuckDB SQL with every rewrite applied (cached; a fresh copy each call)."""
    return _parsed(sql).copy()


def spark_sql(tree: exp.Expression) -> str:
    return tree.sql(dialect="spark")


UNSUPPORTED = {
    "json_type": "Spark's JSON functions cannot tell a string from a number; test presence with `j ->> path IS NOT "
                 "NULL` (NULL for a missing key and for a JSON null on both engines)",
}
"""DuckDB functions outside the subset that transpiles faithfully, and what to write instead."""
_PARSED_AS = {exp.JSONType: "json_type"}
"""The functions of UNSUPPORTED that sqlglot parses into an expression class of their own."""


def _rewrite(node: exp.Expression) -> exp.Expression:
    name = node.name.lower() if isinstance(node, exp.Anonymous) else _PARSED_AS.get(type(node), "")
    if name in UNSUPPORTED:
        raise InvalidInput(f"{name}() is not supported on the Spark engine: {UNSUPPORTED[name]}", field="sql")
    fn = FUNCTIONS.get(name) if isinstance(node, exp.Anonymous) else REWRITES.get(type(node))
    new = fn(node) if fn else node
    if new is not node:  # sqlglot does not descend into a replaced node: rewrite the operands it kept
        new = new.transform(_rewrite, copy=False)
    return new


# --- parameters -------------------------------------------------------------------------------------------


def literal(value: Any) -> exp.Expression:
    """A Python value as a typed SQL literal node."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, float):  # DuckDB binds a DOUBLE; a bare 2.5 is a DECIMAL literal in Spark
        text = repr(value) if math.isfinite(value) else str(value).replace("inf", "Infinity")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("double"))
    if isinstance(value, int | Decimal):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, timedelta):  # DuckDB binds an INTERVAL: a day-time interval, exact to the microsecond
        days, rest = divmod(value, timedelta(days=1))
        seconds = Decimal(rest.seconds) + Decimal(rest.microseconds) / Decimal(1_000_000)
        return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[
            exp.Literal.number(days), exp.Literal.number(0), exp.Literal.number(0), exp.Literal.number(seconds)])
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("timestamp"))
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    raise InvalidInput(f"cannot bind a parameter of type {type(value).__name__}", field="params")


def bind(tree: exp.Expression, params: Sequence[Any] | Mapping[str, Any]) -> exp.Expression:
    """Replace ``?``, ``$1`` and ``$name`` placeholders by literal nodes; a JSON path is turned into Spark's."""
    positional = iter(params) if not isinstance(params, Mapping) else None

    def value_of(node: exp.Placeholder) -> Any:
        name = node.name
        if isinstance(params, Mapping):
            if name not in params:
                raise InvalidInput(f"no value for parameter ${name}", field="params")
            return params[name]
        if name and name.isdigit():
            return list(params)[int(name) - 1]
        try:
            return next(positional)  # type: ignore[arg-type]
        except StopIteration:
            raise InvalidInput("fewer parameters than placeholders", field="params") from None

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            value = value_of(node)
            parent = node.parent
            if isinstance(parent, exp.Anonymous) and parent.name == "GET_JSON_OBJECT":
                value = spark_json_path(value)
            return literal(value)
        return node

    return tree.transform(swap, copy=False)


# --- casts ----------------------------------------------------------------------------------------------

_INTEGER_TYPES = {exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT,
                  exp.DataType.Type.BIGINT, exp.DataType.Type.INT128, exp.DataType.Type.UTINYINT,
                  exp.DataType.Type.USMALLINT, exp.DataType.Type.UINT, exp.DataType.Type.UBIGINT}


@rewrites(exp.Cast, exp.TryCast)
def _integer_cast(node: exp.Expression) -> exp.Expression:
    """CAST(x AS INT) rounds in DuckDB (half away from zero) and truncates in Spark: round first (Spark's
    ``round`` is HALF_UP, away from zero, and keeps integral inputs as they are)."""
    to = node.args.get("to")
    operand = node.this
    if isinstance(operand, exp.Explode) and to is not None:  # CAST(unnest(list) AS T): Spark casts the array
        array = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[to.copy()], nested=True)
        return exp.Explode(this=exp.cast(operand.this, array))
    if to is None or to.this not in _INTEGER_TYPES:
        return node
    if isinstance(operand, exp.Literal) and not operand.is_string and "." not in operand.name:
        return node
    if isinstance(operand, exp.Round | exp.IntDiv | exp.Count):
        return node
    node.set("this", exp.Round(this=operand))
    return node


# --- calendar --------------------------------------------------------------------------------------------


def _minus_one(value: exp.Expression) -> exp.Expression:
    return exp.paren(exp.Sub(this=value, expression=exp.Literal.number(1)))


@rewrites(exp.DayOfWeek)
def _day_of_week(node: exp.Expression) -> exp.Expression:
    """DuckDB: Sunday = 0 … Saturday = 6; Spark's dayofweek: Sunday = 1 … Saturday = 7."""
    return _minus_one(exp.Anonymous(this="DAYOFWEEK", expressions=[node.this]))


@rewrites(exp.Extract)
def _extract(node: exp.Expression) -> exp.Expression:
    unit = node.this.name.lower()
    if unit in ("dow", "dayofweek", "weekday"):
        return _day_of_week(exp.DayOfWeek(this=node.expression))
    return node


def _as_date(value: exp.Expression) -> exp.Expression:
    return exp.cast(value.copy(), exp.DataType.build("date"))


def _year_month(value: exp.Expression) -> exp.Expression:
    return exp.paren(exp.Add(this=exp.Mul(this=exp.Year(this=value.copy()), expression=exp.Literal.number(12)),
                             expression=exp.Month(this=value.copy())))


def _epoch_units(value: exp.Expression, micros: int) -> exp.Expression:
    """Whole units of ``micros`` since 1970 (floor), the boundary count DuckDB uses for time units."""
    us = exp.Anonymous(this="UNIX_MICROS", expressions=[exp.cast(value.copy(), exp.DataType.build("timestamp"))])
    return exp.Floor(this=exp.Div(this=us, expression=exp.Literal.number(micros)))


_TIME_UNITS = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000, "millisecond": 1_000,
               "microsecond": 1}


@rewrites(exp.DateDiff)
def _date_diff(node: exp.Expression) -> exp.Expression:
    """DuckDB's date_diff(unit, start, end) counts the unit's boundaries between start and end."""
    unit = (node.args.get("unit").name if node.args.get("unit") is not None else "day").lower().rstrip("s")
    start, end = node.expression, node.this  # sqlglot: this = end, expression = start
    if unit == "day":
        diff: exp.Expression = exp.Anonymous(this="DATEDIFF", expressions=[_as_date(end), _as_date(start)])
    elif unit == "week":
        days = exp.Anonymous(this="DATEDIFF", expressions=[_as_date(end), _as_date(start)])
        diff = exp.IntDiv(this=days, expression=exp.Literal.number(7))  # whole weeks, toward zero as DuckDB
    elif unit == "month":
        diff = exp.Sub(this=_year_month(end), expression=_year_month(start))
    elif unit == "quarter":
        quarters = [exp.paren(exp.Add(this=exp.Mul(this=exp.Year(this=v.copy()), expression=exp.Literal.number(4)),
                                      expression=exp.Quarter(this=v.copy()))) for v in (end, start)]
        diff = exp.Sub(this=quarters[0], expression=quarters[1])
    elif unit == "year":
        diff = exp.Sub(this=exp.Year(this=end.copy()), expression=exp.Year(this=start.copy()))
    elif unit in _TIME_UNITS:
        diff = exp.Sub(this=_epoch_units(end, _TIME_UNITS[unit]), expression=_epoch_units(start, _TIME_UNITS[unit]))
    else:
        raise InvalidInput(f"date_diff unit {unit!r} has no Spark equivalent here", field="sql")
    return exp.cast(exp.paren(diff), exp.DataType.build("bigint"))


@rewrites(exp.TimeToUnix)
def _epoch(node: exp.Expression) -> exp.Expression:
    """DuckDB's epoch(ts) is seconds as a DOUBLE with the fraction; Spark's unix_timestamp drops it."""
    us = exp.Anonymous(this="UNIX_MICROS", expressions=[node.this])
    return exp.paren(exp.Div(this=us, expression=exp.Literal.number("1e6")))


@function("epoch_us")
def _epoch_us(node: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="UNIX_MICROS", expressions=node.expressions)


@function("epoch_ms")
def _epoch_ms(node: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="UNIX_MILLIS", expressions=node.expressions)


@function("timezone")
def _timezone(node: exp.Expression) -> exp.Expression:
    """timezone(zone, timestamptz) is the wall-clock time in that zone; with Spark's session zone UTC,
    from_utc_timestamp gives the same wall-clock value."""
    zone_name, value = node.expressions
    return exp.Anonymous(this="FROM_UTC_TIMESTAMP", expressions=[value, zone_name])


# --- aggregates ------------------------------------------------------------------------------------------


def _percentile(value: exp.Expression, q: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="PERCENTILE", expressions=[value, q])


@rewrites(exp.Median)
def _median(node: exp.Expression) -> exp.Expression:
    return _percentile(node.this, exp.Literal.number("0.5"))


@rewrites(exp.PercentileCont)
def _quantile_cont(node: exp.Expression) -> exp.Expression:
    """quantile_cont is exact linear interpolation, as Spark's percentile (not percentile_approx)."""
    return _percentile(node.this, node.expression)


@rewrites(exp.PercentileDisc)
def _quantile_disc(node: exp.Expression) -> exp.Expression:
    ordered = exp.Order(expressions=[exp.Ordered(this=node.this, nulls_first=False)])
    return exp.WithinGroup(this=exp.Anonymous(this="PERCENTILE_DISC", expressions=[node.expression]),
                           expression=ordered)


def _struct(key: exp.Expression) -> exp.Expression:
    parts = key.expressions if isinstance(key, exp.Tuple) else [key]
    return exp.Anonymous(this="STRUCT", expressions=[p.copy() for p in parts])


def _by(name: str) -> Rewrite:
    def rewrite(node: exp.Expression) -> exp.Expression:
        """Ties in the key broken by the value itself, the order DuckDB gives a (key, value) tuple key."""
        value, key = node.this, node.expression
        parts = list(key.expressions) if isinstance(key, exp.Tuple) else [key]
        if not any(p == value for p in parts):
            parts.append(value)
        return exp.Anonymous(this=name, expressions=[value.copy(), _struct(exp.Tuple(expressions=parts))])

    return rewrite


REWRITES[exp.ArgMin] = _by("MIN_BY")
REWRITES[exp.ArgMax] = _by("MAX_BY")


def _ordered_parts(node: exp.Expression) -> tuple[exp.Expression, Callable[[exp.Expression], exp.Expression]] | None:
    """For list(x ORDER BY k...): the Spark aggregate to collect and how to turn its array into the list."""
    inner = node.this
    if not isinstance(inner, exp.Order):
        return None
    value = inner.this
    if isinstance(value, exp.Distinct):
        only = value.expressions[0]
        keys = [o.this for o in inner.expressions]
        if keys != [only] or inner.expressions[0].args.get("desc"):
            raise InvalidInput("list(DISTINCT x ORDER BY ...) is supported ordered by x ascending only", field="sql")
        collect = exp.Anonymous(this="COLLECT_SET", expressions=[only.copy()])
        return collect, lambda agg: exp.Anonymous(this="ARRAY_SORT", expressions=[agg])
    if any(o.args.get("desc") for o in inner.expressions):
        raise InvalidInput("list(x ORDER BY k DESC) is not supported on Spark; order ascending", field="sql")
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=o.this.copy())
              for i, o in enumerate(inner.expressions)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()))
    collect = exp.Anonymous(this="COLLECT_LIST", expressions=[exp.Struct(expressions=fields)])
    lam = exp.Lambda(this=exp.Dot(this=exp.to_identifier("e"), expression=exp.to_identifier("v")),
                     expressions=[exp.to_identifier("e")])
    return collect, lambda agg: exp.Anonymous(
        this="TRANSFORM", expressions=[exp.Anonymous(this="ARRAY_SORT", expressions=[agg]), lam])


def _list_or_null(collected: exp.Expression, finish: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """DuckDB's list() of no rows is NULL, Spark's collect_list an empty array."""
    empty = exp.EQ(this=exp.Anonymous(this="SIZE", expressions=[collected.copy()]), expression=exp.Literal.number(0))
    return exp.If(this=empty, true=exp.Null(), false=finish(collected))


@rewrites(exp.ArrayAgg)
def _ordered_list(node: exp.Expression) -> exp.Expression:
    """list(x ORDER BY k...) → the values of the sorted (k..., x) structs; list(DISTINCT x ORDER BY x) →
    array_sort(collect_set(x)). Spark's collect_list keeps no order."""
    parts = _ordered_parts(node)
    return node if parts is None else _list_or_null(*parts)


@rewrites(exp.Filter)
def _filtered_list(node: exp.Expression) -> exp.Expression:
    """``list(x ORDER BY k) FILTER (WHERE c)``: the filter goes on the collecting aggregate."""
    parts = _ordered_parts(node.this) if isinstance(node.this, exp.ArrayAgg) else None
    if parts is None:
        return node
    collect, finish = parts
    return _list_or_null(exp.Filter(this=collect, expression=node.expression.copy()), finish)


# --- JSON ------------------------------------------------------------------------------------------------

_QUOTED_KEY = re.compile(r'\."((?:[^"\\]|\\.)*)"')


def spark_json_path(path: Any) -> Any:
    """DuckDB's ``$."a.b"`` as Spark's ``$['a.b']`` (get_json_object reads dotted names as nesting)."""
    if not isinstance(path, str):
        return path
    return _QUOTED_KEY.sub(lambda m: "['" + m.group(1).replace("'", "\\'") + "']", path)


def _path_arg(node: exp.Expression) -> exp.Expression:
    path = node.expression
    if isinstance(path, exp.JSONPath):
        return exp.Literal.string(spark_json_path(path.sql(dialect="duckdb").strip("'")))
    if isinstance(path, exp.Literal) and path.is_string:
        return exp.Literal.string(spark_json_path(path.name))
    return path  # a placeholder: bind() converts its value


@rewrites(exp.JSONExtractScalar)
def _json_text(node: exp.Expression) -> exp.Expression:
    """``->>``: the value as text, NULL for a JSON null and for a missing key, as get_json_object."""
    return exp.Anonymous(this="GET_JSON_OBJECT", expressions=[node.this, _path_arg(node)])


_TOP_LEVEL_KEY = re.compile(r"^\$(?:\.([A-Za-z_][A-Za-z0-9_]*)|\['((?:[^'\\]|\\.)*)'\])$")


@rewrites(exp.JSONExtract)
def _json_value(node: exp.Expression) -> exp.Expression:
    """``->``: JSON text, and a JSON null is the text 'null' (only a missing key is NULL), where Spark's
    get_json_object gives NULL for both. Top-level keys only; a string comes back without its quotes (use
    ``->>`` for text)."""
    path = _path_arg(node)
    match = _TOP_LEVEL_KEY.match(path.name) if isinstance(path, exp.Literal) else None
    if match is None:
        raise InvalidInput("-> (json_extract) on Spark takes a literal top-level key such as '$.name'", field="sql")
    key = match.group(1) or match.group(2)
    present = exp.Anonymous(this="ARRAY_CONTAINS", expressions=[
        exp.Anonymous(this="JSON_OBJECT_KEYS", expressions=[node.this.copy()]), exp.Literal.string(key)])
    text = exp.Anonymous(this="GET_JSON_OBJECT", expressions=[node.this, path])
    return exp.Case(ifs=[exp.If(this=present, true=exp.func("coalesce", text, exp.Literal.string("null")))])


_JSON_TYPES = {"VARCHAR": "STRING", "BOOLEAN": "BOOLEAN", "BIGINT": "BIGINT", "INTEGER": "INT", "DOUBLE": "DOUBLE",
               "DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "TIMESTAMPTZ": "TIMESTAMP", "JSON": "STRING"}


def spark_schema(structure: Any) -> str:
    """A DuckDB json_transform structure ({"key": "VARCHAR", "list": [{...}]}) as a Spark DDL type."""
    if isinstance(structure, dict):
        fields = ", ".join(f"`{key.replace('`', '``')}`: {spark_schema(value)}" for key, value in structure.items())
        return f"STRUCT<{fields}>"
    if isinstance(structure, list) and len(structure) == 1:
        return f"ARRAY<{spark_schema(structure[0])}>"
    if isinstance(structure, str):
        upper = structure.upper()
        if upper in _JSON_TYPES:
            return _JSON_TYPES[upper]
        if re.fullmatch(r"DECIMAL\(\d+, ?\d+\)", upper):
            return upper
    raise InvalidInput(f"json_transform type {structure!r} has no Spark equivalent here", field="sql")


@function("json_transform")
def _json_transform(node: exp.Expression) -> exp.Expression:
    """json_transform(j, structure) parses the JSON once into typed fields: Spark's from_json with the same
    schema (much faster than one get_json_object per field). The schema must be a literal."""
    value, structure = node.expressions
    if not (isinstance(structure, exp.Literal) and structure.is_string):
        raise InvalidInput("json_transform on Spark needs a literal structure", field="sql")
    import json

    fields = json.loads(structure.name)
    if not isinstance(fields, dict):
        raise InvalidInput("json_transform on Spark needs an object structure", field="sql")
    schema = ", ".join(f"`{key.replace('`', '``')}` {spark_schema(value)}" for key, value in fields.items())
    return exp.Anonymous(this="FROM_JSON", expressions=[value, exp.Literal.string(schema)])


_STRFTIME = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"}


def java_format(fmt: str) -> str:
    """A strptime format of the supported codes as a Java DateTimeFormatter pattern (other text quoted)."""
    out, literal_text = [], ""
    i = 0
    while i < len(fmt):
        code = fmt[i:i + 2]
        if code in _STRFTIME:
            if literal_text:
                out.append("'" + literal_text.replace("'", "''") + "'")
                literal_text = ""
            out.append(_STRFTIME[code])
            i += 2
        elif fmt[i] == "%":
            raise InvalidInput(f"strptime code {code!r} has no Spark equivalent here", field="sql")
        else:
            literal_text += fmt[i]
            i += 1
    if literal_text:
        out.append("'" + literal_text.replace("'", "''") + "'")
    return "".join(out)


@function("try_strptime")
def _try_strptime(node: exp.Expression) -> exp.Expression:
    """try_strptime(text, format): NULL when the text does not match, as Spark's try_to_timestamp."""
    value, fmt = node.expressions
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise InvalidInput("try_strptime on Spark needs a literal format", field="sql")
    return exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[value, exp.Literal.string(java_format(fmt.name))])


_MONTHS_PER = {"MONTH": 1, "MONTHS": 1, "YEAR": 12, "YEARS": 12}
_DAYS_PER = {"DAY": 1, "DAYS": 1, "WEEK": 7, "WEEKS": 7}


def _shift(node: exp.Expression, sign: int) -> exp.Expression:
    """``d ± INTERVAL (expr) unit`` with a computed amount, which Spark's INTERVAL literal cannot take:
    add_months / date_add (a DATE where DuckDB gives a TIMESTAMP at midnight: the same day)."""
    interval = node.expression
    if not isinstance(interval, exp.Interval) or isinstance(interval.this, exp.Literal):
        return node
    unit = interval.unit.name.upper() if interval.unit is not None else ""
    amount: exp.Expression = interval.this.unnest() if isinstance(interval.this, exp.Paren) else interval.this
    if sign < 0:
        amount = exp.Neg(this=exp.paren(amount.copy()))
    if unit in _MONTHS_PER:
        count = amount if _MONTHS_PER[unit] == 1 else exp.Mul(this=exp.paren(amount), expression=exp.Literal.number(12))
        return exp.Anonymous(this="ADD_MONTHS", expressions=[node.this, count])
    if unit in _DAYS_PER:
        count = amount if _DAYS_PER[unit] == 1 else exp.Mul(this=exp.paren(amount), expression=exp.Literal.number(7))
        return exp.Anonymous(this="DATE_ADD", expressions=[node.this, count])
    raise InvalidInput(f"a computed INTERVAL in {unit or 'this unit'} is not supported on Spark", field="sql")


REWRITES[exp.Add] = lambda node: _shift(node, 1)
REWRITES[exp.Sub] = lambda node: _shift(node, -1)


@rewrites(exp.DayOfWeekIso)
def _iso_day_of_week(node: exp.Expression) -> exp.Expression:
    """isodow: Monday = 1 … Sunday = 7; Spark's weekday() counts Monday = 0."""
    return exp.paren(exp.Add(this=exp.Anonymous(this="WEEKDAY", expressions=[node.this]),
                             expression=exp.Literal.number(1)))


@rewrites(exp.Div)
def _division(node: exp.Expression) -> exp.Expression:
    """DuckDB's ``/`` is DOUBLE division for decimals too; Spark keeps a DECIMAL of its own precision."""
    if isinstance(node.this, exp.Cast) and node.this.to.this == exp.DataType.Type.DOUBLE:
        return node
    node.set("this", exp.cast(node.this, exp.DataType.build("double")))
    return node


@rewrites(exp.CTE)
def _cte(node: exp.Expression) -> exp.Expression:
    """``AS MATERIALIZED`` is a DuckDB planning hint Spark's parser refuses; Spark decides reuse itself."""
    node.set("materialized", None)
    return node


@rewrites(exp.Select)
def _parallel_unnest(node: exp.Expression) -> exp.Expression:
    """``SELECT unnest(a) AS x, unnest(b) AS y`` walks the lists side by side in DuckDB (the shorter padded
    with NULL); Spark allows one generator per SELECT and would otherwise pair every x with every y →
    ``inline(arrays_zip(a, b)) AS (x, y)``."""
    generators = [p for p in node.expressions if isinstance(p, exp.Alias) and isinstance(p.this, exp.Explode)]
    if len(generators) < 2:
        return node
    if len(generators) != len(node.expressions):
        raise InvalidInput("several unnest() beside other columns in one SELECT is not supported on Spark; "
                           "unnest in a subquery", field="sql")
    zipped = exp.Anonymous(this="ARRAYS_ZIP", expressions=[g.this.this.copy() for g in generators])
    inline = exp.Aliases(this=exp.Anonymous(this="INLINE", expressions=[zipped]),
                         expressions=[exp.to_identifier(g.alias) for g in generators])
    node.set("expressions", [inline])
    return node
