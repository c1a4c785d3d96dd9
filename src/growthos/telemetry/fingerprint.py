"""SQL fingerprints: a statement with its values taken out, so every execution of one query shape groups
together whatever its arguments.

``fingerprint("select * from t where id = 42 and name = 'it''s'  -- hi")`` is
``SELECT * FROM t WHERE id = ? AND name = ?``. The rules:

- every literal becomes ``?``: strings (escaped quotes, prefixes, PostgreSQL dollar quotes), numbers
  (a sign in front of a number is part of it where it cannot be a subtraction: ``= -5``, ``(-5``, ``, -5``),
  hex and bit strings, and the booleans ``TRUE`` / ``FALSE``. ``NULL`` stays: ``IS NULL`` is a shape;
- every bind parameter (``?``, ``%s``, ``%(name)s``, ``:name``, ``$1``) becomes ``?`` too, so a query sent
  with parameters and the same query with inlined values share a fingerprint;
- lists of values collapse to one: ``IN (?, ?, ?)`` → ``IN (?)``, ``ARRAY[?, ?]`` → ``ARRAY[?]``, and the
  rows of a multi-row insert ``VALUES (?, ?), (?, ?)`` → ``VALUES (?, ?)``;
- comments are removed and whitespace is normalised: one space between tokens, none inside ``f(x)``,
  ``a.b``, ``x::int``, before ``,`` or after ``(``; a trailing ``;`` is dropped;
- SQL keywords and common function names are upper-cased; identifiers keep their case (quoted ones
  their quotes), because a database may tell ``"Users"`` from ``users``.

Fingerprints of identical statement texts are cached (LRU), so an app that uses bind parameters pays the
lexing once per query shape; a statement with inlined literals is lexed each time (about 20 µs per 100
characters). Results are cut at ``MAX_LENGTH`` characters (the warehouse column's limit).
"""

from __future__ import annotations

from functools import lru_cache

from growthos.telemetry.sql_tokens import LIT, OP, PARAM, PUNCT, QIDENT, WORD, Token, tokenize

MAX_LENGTH = 4000
"""Characters in a fingerprint at most (longer ones end in '...')."""

KEYWORDS = frozenset("""
ADD ALL ALTER ANALYZE AND ANY ARRAY AS ASC BEGIN BETWEEN BY CASCADE CASE CHECK COLLATE COLUMN COMMIT CONFLICT
CONSTRAINT CREATE CROSS CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DELETE DESC DISTINCT DO DROP
ELSE END ESCAPE EXCEPT EXISTS EXPLAIN FALSE FETCH FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GRANT GROUP HAVING
IF ILIKE IN INDEX INNER INSERT INTERSECT INTERVAL INTO IS JOIN KEY LAST LATERAL LEFT LIKE LIMIT LOCK MATERIALIZED
MERGE NATURAL NOT NOTHING NULL NULLS OF OFFSET ON ONLY OR ORDER OUTER OVER PARTITION PRAGMA PRECEDING PRIMARY
RECURSIVE REFERENCES RELEASE REPLACE RETURNING REVOKE RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET SHOW SIMILAR
SOME TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRUE TRUNCATE UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES
VIEW WHEN WHERE WINDOW WITH WITHIN
""".split())
"""Upper-cased, and followed by a space before ``(`` (``IN (``, ``VALUES (``, ``AS (``)."""

FUNCTIONS = frozenset("""
ABS AVG CAST COALESCE CONCAT COUNT DATE DATE_TRUNC EXTRACT GREATEST JSON_EXTRACT LEAST LENGTH LOWER MAX MIN NOW
NULLIF ROUND ROW_NUMBER RANK DENSE_RANK STRING_AGG ARRAY_AGG JSON_AGG SUBSTR SUBSTRING SUM TRIM UPPER LAG LEAD
""".split())
"""Upper-cased, written ``COUNT(*)``."""

_BOOLEANS = frozenset(("TRUE", "FALSE"))
_SIGNED_AFTER = frozenset(("(", ",", "[")) | {"SELECT", "WHERE", "AND", "OR", "NOT", "ON", "WHEN", "THEN",
                                                 "ELSE", "SET", "VALUES", "BY", "IN", "LIMIT", "OFFSET",
                                                 "BETWEEN", "RETURN", "IS", "LIKE", "CASE", "HAVING"}
"""After these (and after any operator) a ``-`` or ``+`` in front of a number is its sign."""
_NO_SPACE_BEFORE = frozenset((",", ")", "]", ".", "::", ";"))
_NO_SPACE_AFTER = frozenset(("(", "[", ".", "::"))


@lru_cache(maxsize=8192)
def fingerprint(sql: str, *, backslash_escapes: bool = False) -> str:
    """The statement's shape with every value as ``?`` (rules in the module docstring).

    ``backslash_escapes``: whether a backslash escapes a quote inside a plain string (MySQL); off for
    PostgreSQL, SQLite and the SQL standard, where ``'C:\\'`` is a complete string."""
    text = render(normalise(tokenize(sql, backslash_escapes=backslash_escapes)))
    if len(text) > MAX_LENGTH:
        text = text[: MAX_LENGTH - 3] + "..."
    return text


def normalise(tokens: list[Token]) -> list[Token]:
    """Tokens with literals and parameters as ``?``, keywords upper-cased and value lists collapsed."""
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        kind, text = tokens[i]
        if kind == WORD:
            upper = text.upper()
            if upper in _BOOLEANS:
                kind, text = LIT, "?"
            elif upper in KEYWORDS or upper in FUNCTIONS:
                text = upper
        elif kind in (LIT, PARAM):
            kind, text = LIT, "?"
        elif kind == OP and text in ("-", "+") and i + 1 < n and tokens[i + 1][0] == LIT and _signable(out):
            i += 1  # the sign belongs to the number that follows
            kind, text = LIT, "?"
        elif kind == PUNCT and text in ("(", "[") and _opens_value_list(out, text):
            found = _value_list_end(tokens, i)
            if found is not None:
                end, count = found
                values_row = out[-1][1] == "VALUES"
                out.append((PUNCT, text))
                for k in range(count if values_row else 1):  # a row keeps its arity; a list is one value
                    if k:
                        out.append((PUNCT, ","))
                    out.append((LIT, "?"))
                out.append((PUNCT, tokens[end][1]))
                i = _skip_more_rows(tokens, end + 1) if values_row else end + 1
                continue
        out.append((kind, text))
        i += 1
    if out and out[-1] == (PUNCT, ";"):
        out.pop()
    return out


def _signable(out: list[Token]) -> bool:
    if not out:
        return True
    kind, text = out[-1]
    return kind == OP or text in _SIGNED_AFTER


def _opens_value_list(out: list[Token], bracket: str) -> bool:
    if not out:
        return False
    previous = out[-1][1]
    return previous in ("IN", "VALUES") if bracket == "(" else previous == "ARRAY"


def _value_list_end(tokens: list[Token], start: int) -> tuple[int, int] | None:
    """(index of the bracket closing ``tokens[start]``, number of values) when everything between is values
    and commas; None otherwise."""
    close = ")" if tokens[start][1] == "(" else "]"
    expect_value, count = True, 0
    i = start + 1
    while i < len(tokens):
        kind, text = tokens[i]
        if expect_value:
            if kind == OP and text in ("-", "+") and i + 1 < len(tokens) and tokens[i + 1][0] == LIT:
                i += 1
            elif not (kind in (LIT, PARAM) or (kind == WORD and text.upper() in _LIST_WORDS)):
                return None
            expect_value, count = False, count + 1
        elif text == close and kind == PUNCT:
            return i, count
        elif text != ",":
            return None
        else:
            expect_value = True
        i += 1
    return None


_LIST_WORDS = _BOOLEANS | {"NULL", "DEFAULT"}


def _skip_more_rows(tokens: list[Token], i: int) -> int:
    """Past ``, (values...)`` rows following the first row of a VALUES list."""
    while i + 1 < len(tokens) and tokens[i][1] == "," and tokens[i + 1][1] == "(":
        found = _value_list_end(tokens, i + 1)
        if found is None:
            break
        i = found[0] + 1
    return i


def render(tokens: list[Token]) -> str:
    """Tokens joined by single spaces, except around ``.``/``::``, inside brackets, before ``,`` and between
    a function's name and its ``(``."""
    if not tokens:
        return ""
    parts = [tokens[0][1]]
    previous = tokens[0]
    for token in tokens[1:]:
        if not _tight(previous, token):
            parts.append(" ")
        parts.append(token[1])
        previous = token
    return "".join(parts)


def _tight(previous: Token, token: Token) -> bool:
    text, before = token[1], previous[1]
    if text in _NO_SPACE_BEFORE or before in _NO_SPACE_AFTER:
        return True
    if text == "(":
        return previous[0] == QIDENT or (previous[0] == WORD and before not in KEYWORDS)
    return text == "[" and (previous[0] != OP and before != ",")


def operation(sql_or_fingerprint: str) -> str | None:
    """The statement's kind, upper-cased: its first keyword (``SELECT``, ``INSERT``, ``PRAGMA``...), and for a
    ``WITH`` query the statement after its common table expressions. None for an empty statement."""
    return _operation(sql_or_fingerprint)


_MAIN_STATEMENTS = frozenset(("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "TABLE"))


@lru_cache(maxsize=8192)
def _operation(sql: str) -> str | None:
    tokens = tokenize(sql)
    words = [text for kind, text in tokens if kind == WORD]
    if not words:
        return None
    first = words[0].upper()
    if first != "WITH":
        return first[:32]
    depth = 0
    for kind, text in tokens:
        if text in ("(", "["):
            depth += 1
        elif text in (")", "]"):
            depth -= 1
        elif depth == 0 and kind == WORD and text.upper() in _MAIN_STATEMENTS:
            return text.upper()
    return "WITH"


@lru_cache(maxsize=8192)
def is_read(sql: str) -> bool:
    """Whether the statement only reads (a SELECT, VALUES or TABLE query, or a WITH query ending in one, and
    not SELECT ... FOR UPDATE / INTO)."""
    op = operation(sql)
    if op not in ("SELECT", "VALUES", "TABLE"):
        return False
    words = {text.upper() for kind, text in tokenize(sql) if kind == WORD}
    return not (words & {"INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "LOCK"})
