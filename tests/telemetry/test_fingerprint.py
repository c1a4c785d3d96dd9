"""SQL fingerprints: every literal and parameter becomes ?, value lists collapse, comments and whitespace go,
keywords are upper-cased — so one query shape has one fingerprint whatever its values; and the tables a
statement reads and writes, for the result cache."""

from __future__ import annotations

import pytest

from growthos.telemetry.fingerprint import MAX_LENGTH, fingerprint, is_read, operation
from growthos.telemetry.sql_tables import tables_read, tables_written


@pytest.mark.parametrize(("sql", "expected"), [
    ("select * from users where id = 42", "SELECT * FROM users WHERE id = ?"),
    ("SELECT * FROM t WHERE name = 'O''Brien' AND note = ''", "SELECT * FROM t WHERE name = ? AND note = ?"),
    ("SELECT * FROM t WHERE a = -5 AND b = +2.5e-3 AND c = .5 AND d = 1e6",
     "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?"),
    ("SELECT a - 1, b-2, (-3) FROM t", "SELECT a - ?, b - ?, (?) FROM t"),
    ("SELECT * FROM t WHERE id IN (1, 2, 3, -4)", "SELECT * FROM t WHERE id IN (?)"),
    ("SELECT * FROM t WHERE id IN ('a','b') OR id IN (?)", "SELECT * FROM t WHERE id IN (?) OR id IN (?)"),
    ("SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)",
     "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)"),
    ("SELECT * FROM t WHERE id = ANY(ARRAY[1, 2, 3])", "SELECT * FROM t WHERE id = ANY (ARRAY[?])"),
    ("SELECT 1 -- trailing\n, 2 /* block */ FROM t -- end", "SELECT ?, ? FROM t"),
    ("SELECT $$it's $1 'quoted'$$, $fn$ a $$ b $fn$ FROM t", "SELECT ?, ? FROM t"),
    ("SELECT E'it\\'s', N'x', X'0A', B'101', 0x1F, TRUE, false, NULL FROM t",
     "SELECT ?, ?, ?, ?, ?, ?, ?, NULL FROM t"),
    ("SELECT * FROM t WHERE a = ? AND b = %s AND c = %(name)s AND d = :d AND e = $1 AND f = ?2",
     "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ? AND e = ? AND f = ?"),
    ("SELECT x::text, data->>'key', \"Mixed Case\".\"Col\" FROM \"Mixed Case\"",
     "SELECT x::text, data ->> ?, \"Mixed Case\".\"Col\" FROM \"Mixed Case\""),
    ("  SELECT\n\tcount( * ),  lower(name)\nFROM   t ;", "SELECT COUNT(*), LOWER(name) FROM t"),
    ("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)", "INSERT INTO t(a, b) VALUES (?, ?)"),
    ("INSERT INTO t (a, b) VALUES (?, ?)", "INSERT INTO t(a, b) VALUES (?, ?)"),
    ("select 'unterminated", "SELECT ?"),
    ("", ""),
])
def test_literals_become_placeholders(sql, expected) -> None:
    assert fingerprint(sql) == expected


def test_a_backslash_ends_a_standard_string_but_escapes_in_mysql() -> None:
    assert fingerprint("SELECT 'C:\\', 1 FROM t") == "SELECT ?, ? FROM t"
    assert fingerprint("SELECT 'it\\'s', 1 FROM t", backslash_escapes=True) == "SELECT ?, ? FROM t"


def test_one_shape_one_fingerprint() -> None:
    shapes = {
        fingerprint("select * from orders where customer_id = 7 and status in ('paid','sent') limit 10"),
        fingerprint("SELECT *\n  FROM orders\n WHERE customer_id = 123456 AND status IN ('refunded') LIMIT 50"),
        fingerprint("SELECT * FROM orders WHERE customer_id = %s AND status IN (%s, %s, %s) LIMIT %s"),
        fingerprint("SELECT * FROM orders /* app=shop */ WHERE customer_id = $1 AND status IN ($2) LIMIT $3"),
    }
    assert shapes == {"SELECT * FROM orders WHERE customer_id = ? AND status IN (?) LIMIT ?"}
    assert fingerprint("SELECT * FROM orders WHERE id = 1") != fingerprint("SELECT * FROM refunds WHERE id = 1")
    assert fingerprint('SELECT * FROM "Users"') != fingerprint("SELECT * FROM users")


def test_no_literal_survives() -> None:
    secret = "s3cr3t-t0ken"
    sql = (f"UPDATE users SET token = '{secret}', visits = 9911 WHERE email = E'a\\'{secret}' "
           f"AND note = $q${secret}$q$ AND id IN (424242, 515151)")
    shape = fingerprint(sql)
    assert secret not in shape and "9911" not in shape and "424242" not in shape
    assert shape == "UPDATE users SET token = ?, visits = ? WHERE email = ? AND note = ? AND id IN (?)"


def test_long_statements_are_cut() -> None:
    shape = fingerprint("SELECT " + ", ".join(f"column_{i}" for i in range(2000)) + " FROM t")
    assert len(shape) == MAX_LENGTH and shape.endswith("...")


@pytest.mark.parametrize(("sql", "op", "read"), [
    ("select 1", "SELECT", True),
    ("WITH x AS (SELECT 1) SELECT * FROM x", "SELECT", True),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT", False),
    ("SELECT * FROM t FOR UPDATE", "SELECT", False),
    ("  -- hello\n update t set a = 1", "UPDATE", False),
    ("PRAGMA table_info(t)", "PRAGMA", False),
    ("", None, False),
])
def test_operation_and_reads(sql, op, read) -> None:
    assert operation(sql) == op
    assert is_read(sql) is read


def test_tables_read_and_written() -> None:
    assert tables_read('SELECT * FROM a, public."B" bb JOIN c ON c.id = a.id WHERE x IN (SELECT y FROM d)') == {
        "a", "B", "c", "d"}
    assert tables_written("INSERT INTO Orders (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2") == {"orders"}
    assert tables_written("UPDATE ONLY shop.orders SET a = 1") == {"orders"}
    assert tables_written("DELETE FROM orders WHERE id = 1") == {"orders"}
    assert tables_written("DROP TABLE IF EXISTS orders") == {"orders"}
    assert tables_written("SELECT * FROM orders FOR UPDATE") == frozenset()
    assert tables_written("COMMIT") == frozenset()
    assert tables_written("CREATE INDEX ix ON orders (a)") is None  # unknown: the cache drops everything
    assert tables_written("DROP INDEX ix") is None
