"""Just enough of the Google Ads Query Language to filter fixture rows in the Google Ads fake.

Grammar understood (keywords case-insensitive)::

    SELECT field [, field]* FROM resource
    [WHERE condition [AND condition]*]
    [ORDER BY field [ASC|DESC] [, ...]] [LIMIT n] [PARAMETERS ...]

    condition := field (= | != | < | <= | > | >=) value
               | field [NOT] IN (value [, value]*)
               | field BETWEEN value AND value
               | field DURING TODAY|YESTERDAY|LAST_7_DAYS|LAST_14_DAYS|LAST_30_DAYS|THIS_MONTH|LAST_MONTH

Values are single- or double-quoted strings, numbers, or bare enum constants (``ENABLED``). Fields are
GAQL snake_case paths (``metrics.cost_micros``); ``camel_path`` gives the JSON (lowerCamelCase) path.
Errors raise ``GaqlError`` carrying the ``QueryError`` enum name Google would report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)"""
                    r"""|(?P<op>>=|<=|!=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""")
DURING = ("TODAY", "YESTERDAY", "LAST_7_DAYS", "LAST_14_DAYS", "LAST_30_DAYS", "THIS_MONTH", "LAST_MONTH")


class GaqlError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        """QueryError enum name, e.g. BAD_FIELD_NAME."""


@dataclass
class Condition:
    field: str
    op: str
    values: list[Any]


@dataclass
class Query:
    fields: list[str]
    resource: str
    conditions: list[Condition] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)
    """(field, descending)."""
    limit: int | None = None


def camel_path(gaql_field: str) -> list[str]:
    """``metrics.cost_micros`` -> ``["metrics", "costMicros"]``."""
    return [re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), part) for part in gaql_field.split(".")]


def snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise GaqlError("BAD_SYMBOL", f"Error in query: unexpected input {text[pos:pos + 20]!r}.")
        pos = match.end()
        if match.group("str") is not None:
            out.append(("value", re.sub(r"\\(.)", r"\1", match.group("str")[1:-1])))
        elif match.group("num") is not None:
            number = match.group("num")
            out.append(("value", float(number) if "." in number else int(number)))
        elif match.group("op") is not None:
            out.append(("op", match.group("op")))
        else:
            out.append(("word", match.group("word")))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise GaqlError("UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
        self.i += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and str(token[1]).upper() in words:
            self.i += 1
            return True
        return False

    def expect(self, word: str, code: str) -> None:
        if not self.keyword(word):
            raise GaqlError(code, f"Error in query: expected {word}.")

    def ident(self) -> str:
        kind, value = self.next()
        if kind != "word":
            raise GaqlError("BAD_FIELD_NAME", f"Error in query: expected a field name, got {value!r}.")
        return str(value)

    def value(self) -> Any:
        kind, value = self.next()
        if kind == "op":
            raise GaqlError("BAD_VALUE", f"Error in query: expected a value, got {value!r}.")
        return value

    def parse(self) -> Query:
        self.expect("SELECT", "EXPECTED_SELECT")
        fields = [self.ident()]
        while self.peek() == ("op", ","):
            self.i += 1
            fields.append(self.ident())
        self.expect("FROM", "EXPECTED_FROM")
        query = Query(fields, self.ident())
        if self.keyword("WHERE"):
            query.conditions.append(self.condition())
            while self.keyword("AND"):
                query.conditions.append(self.condition())
        if self.keyword("ORDER"):
            self.expect("BY", "EXPECTED_BY")
            while True:
                name = self.ident()
                desc = self.keyword("DESC")
                if not desc:
                    self.keyword("ASC")
                query.order_by.append((name, desc))
                if self.peek() != ("op", ","):
                    break
                self.i += 1
        if self.keyword("LIMIT"):
            limit = self.value()
            if not isinstance(limit, int) or limit <= 0:
                raise GaqlError("BAD_LIMIT_VALUE", f"Error in query: invalid LIMIT {limit!r}.")
            query.limit = limit
        if self.keyword("PARAMETERS"):
            self.i = len(self.tokens)
        if self.peek() is not None:
            raise GaqlError("UNEXPECTED_INPUT", f"Error in query: unexpected input {self.peek()[1]!r}.")
        return query

    def condition(self) -> Condition:
        name = self.ident()
        if self.keyword("BETWEEN"):
            low = self.value()
            self.expect("AND", "EXPECTED_AND")
            return Condition(name, "BETWEEN", [low, self.value()])
        if self.keyword("DURING"):
            constant = str(self.value()).upper()
            if constant not in DURING:
                raise GaqlError("INVALID_VALUE_WITH_DURING_OPERATOR",
                                f"Error in query: invalid value {constant!r} with DURING.")
            return Condition(name, "DURING", [constant])
        negate = self.keyword("NOT")
        if self.keyword("IN"):
            if self.next() != ("op", "("):
                raise GaqlError("EXPECTED_LEFT_PARENTHESIS", "Error in query: expected '(' after IN.")
            values = [self.value()]
            while self.peek() == ("op", ","):
                self.i += 1
                values.append(self.value())
            if self.next() != ("op", ")"):
                raise GaqlError("EXPECTED_RIGHT_PARENTHESIS", "Error in query: expected ')'.")
            return Condition(name, "NOT IN" if negate else "IN", values)
        if negate:
            raise GaqlError("BAD_OPERATOR", "Error in query: expected IN after NOT.")
        kind, op = self.next()
        if kind != "op" or op not in ("=", "!=", "<", "<=", ">", ">="):
            raise GaqlError("BAD_OPERATOR", f"Error in query: invalid operator {op!r}.")
        return Condition(name, op, [self.value()])


def parse(text: str) -> Query:
    """Parse a GAQL query (raises GaqlError)."""
    return _Parser(text).parse()


def during_range(constant: str, today: date) -> tuple[date, date]:
    """The dates a DURING constant covers (Google's meaning: LAST_N_DAYS excludes today)."""
    if constant == "TODAY":
        return today, today
    if constant == "YESTERDAY":
        return today - timedelta(days=1), today - timedelta(days=1)
    if constant.startswith("LAST_") and constant.endswith("_DAYS"):
        n = int(constant.split("_")[1])
        return today - timedelta(days=n), today - timedelta(days=1)
    first = today.replace(day=1)
    if constant == "THIS_MONTH":
        return first, today
    last_month_end = first - timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end


def _comparable(row_value: Any, literal: Any) -> tuple[Any, Any]:
    if isinstance(literal, int | float) and not isinstance(literal, bool):
        try:
            return float(row_value), float(literal)
        except (TypeError, ValueError):
            return str(row_value), str(literal)
    return str(row_value), str(literal)


def matches(condition: Condition, row_value: Any, today: date) -> bool:
    """Whether a row's value for the condition's field satisfies it."""
    op, values = condition.op, condition.values
    if op == "DURING":
        start, end = during_range(values[0], today)
        return start.isoformat() <= str(row_value) <= end.isoformat()
    if op == "BETWEEN":
        value, low = _comparable(row_value, values[0])
        high = _comparable(row_value, values[1])[1]
        return low <= value <= high
    if op in ("IN", "NOT IN"):
        found = any(a == b for a, b in (_comparable(row_value, v) for v in values))
        return found if op == "IN" else not found
    left, right = _comparable(row_value, values[0])
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


def date_bounds(conditions: list[Condition], date_field: str = "segments.date") -> tuple[bool, bool]:
    """Whether the conditions bound ``date_field`` from below and from above (a finite date range)."""
    lower = upper = False
    for c in conditions:
        if c.field != date_field:
            continue
        if c.op in ("BETWEEN", "DURING", "=", "IN"):
            lower = upper = True
        elif c.op in (">", ">="):
            lower = True
        elif c.op in ("<", "<="):
            upper = True
    return lower, upper
