"""A small, fast SQL lexer shared by the fingerprint and the result cache's table tracking.

One compiled regular expression splits a statement into ``(kind, text)`` tokens; comments and whitespace
are dropped. It knows the lexical rules of the common dialects well enough to find every literal:

- strings ``'it''s'``, prefixed ones (``E'..'``, ``N'..'``, ``X'0A'``, ``B'101'``, ``U&'..'``), and
  PostgreSQL dollar quotes (``$$..$$``, ``$fn$..$fn$``); backslash escapes inside plain strings only when
  asked (MySQL), always inside ``E'..'``;
- numbers (``42``, ``1.5e3``, ``.5``, ``0x1F``); the sign of ``-5`` is left to the caller;
- bind parameters of every DB-API paramstyle (``?``, ``?1``, ``%s``, ``%(name)s``, ``:name``, ``$1``);
- quoted identifiers (``"Name"``, ```name```), kept as identifiers, never taken for literals;
- ``--`` and ``/* */`` comments, removed (block comments do not nest here, as in MySQL and SQLite).

An unterminated string, identifier or comment runs to the end of the text; the lexer never raises.
sqlglot's tokenizer knows more dialects but is 3-4x slower (50 µs against about 15 µs for a short statement,
docs/telemetry/database.md), and query instrumentation lexes every new statement an app runs.
"""

from __future__ import annotations

import re

LIT, PARAM, WORD, QIDENT, OP, PUNCT = "lit", "param", "word", "qident", "op", "punct"
"""Token kinds."""

Token = tuple[str, str]
"""(kind, text)."""

_PATTERN = r"""\s*(?:
  (?P<estr>[Ee]'(?:[^'\\]|\\.|'')*+(?:'|\Z))
| (?P<pstr>(?:[NnBbXx]|[Uu]&)'{BODY}(?:'|\Z))
| (?P<word>[^\W\d][\w$]*+)
| (?P<num>(?:\d++\.?\d*+|\.\d++)(?:[eE][-+]?\d++)?+(?![\w$]))
| (?P<punct>[(),;.\[\]{}])
| (?P<str>'{BODY}(?:'|\Z))
| (?P<param>\?\d*+|%\([^)]*\)s|%s|\$\d++|:[A-Za-z_][A-Za-z0-9_]*+)
| (?P<comment>--[^\n]*+|/\*.*?(?:\*/|\Z))
| (?P<op>::|->>|->|\#>>|\#>|@>|<@|<>|!=|<=|>=|\|\||&&|<<|>>|-(?!-)|/(?!\*)|[+*<>=~!@\#^&|%:])
| (?P<qident>"(?:[^"]|"")*+(?:"|\Z)|`(?:[^`]|``)*+(?:`|\Z))
| (?P<dollar>\$\$.*?(?:\$\$|\Z)|\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*)\$.*?(?:\$(?P=tag)\$|\Z))
| (?P<hex>0[xX][0-9A-Fa-f]+)
| (?P<other>\S)
)"""

_STANDARD = re.compile(_PATTERN.replace("{BODY}", r"(?:[^']|'')*+"), re.VERBOSE | re.DOTALL)
"""A quote inside a plain string is escaped by doubling it; a backslash is an ordinary character (the SQL
standard, PostgreSQL with standard_conforming_strings, SQLite)."""
_BACKSLASH = re.compile(_PATTERN.replace("{BODY}", r"(?:[^'\\]|\\.|'')*+"), re.VERBOSE | re.DOTALL)
"""A backslash inside a plain string escapes the next character (MySQL, MariaDB)."""

_KINDS = {"estr": LIT, "pstr": LIT, "str": LIT, "dollar": LIT, "tag": LIT, "hex": LIT, "num": LIT,
          "param": PARAM, "word": WORD, "qident": QIDENT, "op": OP, "punct": PUNCT, "other": OP}


def tokenize(sql: str, *, backslash_escapes: bool = False) -> list[Token]:
    """The ``(kind, text)`` tokens of ``sql`` without whitespace and comments."""
    pattern = _BACKSLASH if backslash_escapes else _STANDARD
    kinds = _KINDS
    out = []
    for match in pattern.finditer(sql):
        group = match.lastgroup
        if group == "comment":
            continue
        if group == "tag":  # a dollar quote with a tag: the whole quote is the token
            group = "dollar"
        out.append((kinds[group], match.group(group)))
    return out


def identifier_name(token: Token) -> str:
    """A table or column name as the database compares it: quotes removed, unquoted names lower-cased."""
    kind, text = token
    if kind == QIDENT:
        quote = text[0]
        return text[1:-1].replace(quote * 2, quote) if len(text) > 1 else ""
    return text.lower()
