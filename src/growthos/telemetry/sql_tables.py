"""Which tables a statement reads and which it writes, from its tokens: enough for the result cache to drop
the answers a write may have changed (``QueryCache`` in growthos.telemetry.query_cache).

Names are compared as the database does: unquoted names lower-cased, quoted ones verbatim, a schema
prefix dropped (``public.Users`` and ``users`` are one table). A table a read names after ``FROM`` or
``JOIN`` (and after the commas of a ``FROM a, b`` list) counts as read. A write's target is the table after
``INSERT INTO``, ``REPLACE INTO``, ``UPDATE``, ``DELETE FROM``, ``MERGE INTO``, ``TRUNCATE [TABLE]`` or
``DROP``/``ALTER TABLE``; ``None`` means "some table, not known" (the cache then drops everything).
"""

from __future__ import annotations

from functools import lru_cache

from growthos.telemetry.sql_tokens import QIDENT, WORD, Token, identifier_name, tokenize

_AFTER_TABLE = frozenset(("WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "WINDOW", "UNION", "EXCEPT",
                          "INTERSECT", "ON", "USING", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS",
                          "NATURAL", "OFFSET", "FETCH", "FOR", "RETURNING", "SET", "VALUES", "SELECT"))


@lru_cache(maxsize=4096)
def tables_read(sql: str) -> frozenset[str]:
    """Every table named after FROM or JOIN (lists included), in any subquery."""
    tokens = tokenize(sql)
    found: set[str] = set()
    i = 0
    while i < len(tokens):
        upper = tokens[i][1].upper() if tokens[i][0] == WORD else ""
        if upper in ("FROM", "JOIN"):
            i = _read_list(tokens, i + 1, found, many=upper == "FROM")
        else:
            i += 1
    return frozenset(found)


def _read_list(tokens: list[Token], i: int, found: set[str], *, many: bool) -> int:
    """Collect ``name [AS] [alias] [, name ...]`` from index i; returns where the list ends."""
    while i < len(tokens):
        name_end = _name(tokens, i)
        if name_end is None:
            return i
        name, i = name_end
        found.add(name)
        while i < len(tokens) and tokens[i][1] != "," and not _clause_word(tokens[i]) and tokens[i][1] != "(":
            i += 1  # an alias, AS, ...
        if not many or i >= len(tokens) or tokens[i][1] != ",":
            return i
        i += 1
    return i


def _clause_word(token: Token) -> bool:
    return token[0] == WORD and token[1].upper() in _AFTER_TABLE or token[1] in (")", ";")


def _name(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """A possibly dotted table name starting at index i: (its last part, the index after it)."""
    if i >= len(tokens) or tokens[i][0] not in (WORD, QIDENT):
        return None
    if tokens[i][0] == WORD and tokens[i][1].upper() in _AFTER_TABLE | {"ONLY", "LATERAL"}:
        if tokens[i][1].upper() in ("ONLY",):
            return _name(tokens, i + 1)
        return None
    last = tokens[i]
    i += 1
    while i + 1 < len(tokens) and tokens[i][1] == "." and tokens[i + 1][0] in (WORD, QIDENT):
        last = tokens[i + 1]
        i += 2
    return identifier_name(last), i


_WRITE_VERBS: dict[str, tuple[str, bool]] = {
    "INSERT": ("INTO", False), "REPLACE": ("INTO", False), "UPDATE": ("", False), "DELETE": ("FROM", False),
    "MERGE": ("INTO", False), "TRUNCATE": ("TABLE", False), "DROP": ("TABLE", True), "ALTER": ("TABLE", True),
}
"""Verb -> (the word before its table, whether that word is required: DROP INDEX is no table write)."""
_SKIPPED = frozenset(("OR", "IGNORE", "ROLLBACK", "ABORT", "FAIL", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY",
                      "QUICK", "ONLY", "IF", "EXISTS"))
"""Words between the verb and the table: INSERT OR IGNORE INTO, DROP TABLE IF EXISTS, UPDATE ONLY..."""
_NOT_A_WRITE_AFTER = {"UPDATE": ("FOR", "DO", "ON", "KEY", "NO"), "DELETE": ("ON",), "REPLACE": ("OR",)}
"""SELECT ... FOR UPDATE, ON CONFLICT DO UPDATE, ON UPDATE/DELETE CASCADE, CREATE OR REPLACE."""
_NO_WRITE = frozenset(("SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW", "BEGIN", "START", "COMMIT", "END",
                       "ROLLBACK", "SAVEPOINT", "RELEASE", "SET", "RESET", "DESCRIBE"))
"""First words of statements that change no table (reads, transaction control, session settings)."""


@lru_cache(maxsize=4096)
def tables_written(sql: str) -> frozenset[str] | None:
    """The tables a statement changes: empty for a read or transaction control; None for a write whose
    target is not known (CREATE, DROP INDEX, a PRAGMA, a procedure call...)."""
    tokens = tokenize(sql)
    words = [text.upper() if kind == WORD else "" for kind, text in tokens]
    first = next((w for w in words if w), "")
    found: set[str] = set()
    for i, verb in enumerate(words):
        if verb not in _WRITE_VERBS or (i > 0 and words[i - 1] in _NOT_A_WRITE_AFTER.get(verb, ())):
            continue
        keyword, required = _WRITE_VERBS[verb]
        j = i + 1
        while j < len(words) and words[j] in _SKIPPED:
            j += 1
        if keyword and j < len(words) and words[j] == keyword:
            j += 1
            while j < len(words) and words[j] in _SKIPPED:
                j += 1
        elif required:
            return None
        name = _name(tokens, j)
        if name is None:
            return None
        found.add(name[0])
    if found:
        return frozenset(found)
    return frozenset() if first in _NO_WRITE else None
