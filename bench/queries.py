"""Product-analytics query benchmark: our service functions vs a hand-written DuckDB query vs pandas.

    .venv/bin/python bench/queries.py [--sizes 1000000,10000000] [--repeat 5] [--threads 2]

For each size, a synthetic warehouse (events + identity_map, inserted in bulk with DuckDB SQL, cached
in bench/out/product-events-<n>.duckdb) answers three questions three ways:
  funnel     Signup → Activate → Pay, 7-day window, entries over 60 days (New York days)
  retention  weekly cohorts of first Signup, return = Open, 8 periods
  trends     daily Open events and unique people over 90 days
(a) ours: growthos.metrics.product; (b) one hand-written DuckDB query with the same semantics;
(c) pandas, reading the rows it needs from DuckDB inside its timing. The three answers are compared
before timing. Medians of --repeat runs; prints ratios and appends them to bench/RESULTS.md.
Targets: ours <= 1.2x the hand-written SQL and >= 2x faster than pandas.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from growthos.metrics.product import FunnelStep, funnel, retention, trends
from growthos.sources.collector import ensure_events_tables
from growthos.warehouse.duckdb_engine import DuckDBEngine

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
TZ = "America/New_York"
DAY0 = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 90
EVENTS_PER_PERSON = 50
START, END = date(2024, 1, 1), date(2024, 3, 30)  # 90 reporting days
FUNNEL_END = date(2024, 2, 29)  # entries over 60 days
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)  # every funnel window and retention period is complete
WINDOW = timedelta(days=7)
GENERATE_CHUNK = 10_000_000  # events inserted per statement (bounded memory)

GENERATE = f"""
INSERT INTO events
SELECT unhex(md5(i::VARCHAR))::BLOB AS message_key, 'm' || i AS message_id, 'track' AS type,
       CASE WHEN r < 30 THEN 'Open' WHEN r < 45 THEN 'Search' WHEN r < 53 THEN 'Signup'
            WHEN r < 63 THEN 'Activate' WHEN r < 68 THEN 'Pay' ELSE 'View' END AS event,
       NULL AS name, CASE WHEN anon THEN NULL ELSE 'u' || p END AS user_id, 'a' || p AS anonymous_id,
       CASE WHEN anon THEN 'a' || p ELSE 'u' || p END AS distinct_id, NULL, NULL,
       ts AS "timestamp", ts AS original_timestamp, ts AS sent_at, ts AS received_at,
       ('{{"plan":"' || ['free', 'pro', 'team'][1 + p % 3] || '"}}')::JSON AS properties,
       NULL, NULL, NULL, 'bench' AS source, i AS ingest_seq
FROM (
    SELECT i, (hash(i) % $people)::BIGINT AS p, (hash(i * 7 + 1) % 100)::INTEGER AS r, hash(i * 11 + 3) % 4 = 0 AS anon,
           TIMESTAMPTZ '{DAY0.isoformat()}' + to_seconds((hash(i * 3 + 2) % ({DAYS} * 86400))::BIGINT) AS ts
    FROM range($first, $last) t(i)
)
"""

IDENTITIES = """
INSERT INTO identity_map
SELECT 'u' || p, 'u' || p, true, p FROM range($people) t(p)
UNION ALL
SELECT 'a' || p, 'u' || p, false, p FROM range($people) t(p)
"""


def warehouse(n: int, threads: int) -> DuckDBEngine:
    path = OUT / f"product-events-{n}.duckdb"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        t0 = time.perf_counter()
        engine = DuckDBEngine(tmp, threads=threads, memory_limit="12GB")  # the primary key's index: ~50 B/event
        ensure_events_tables(engine)
        people = max(1, n // EVENTS_PER_PERSON)
        for first in range(0, n, GENERATE_CHUNK):
            engine.execute(GENERATE, {"first": first, "last": min(n, first + GENERATE_CHUNK), "people": people})
            engine.execute("CHECKPOINT")
        engine.execute(IDENTITIES, {"people": people})
        engine.execute("CHECKPOINT")
        engine.close()
        tmp.rename(path)
        print(f"generated {n:,} events in {time.perf_counter() - t0:.1f} s -> {path}", flush=True)
    return DuckDBEngine(path, threads=threads, memory_limit="6GB")


# ---------------------------------------------------------------- funnel

def funnel_ours(engine: DuckDBEngine) -> list[int]:
    result = funnel(engine, steps=[FunnelStep("Signup"), FunnelStep("Activate"), FunnelStep("Pay")],
                    window=WINDOW, start=START, end=FUNNEL_END, tz=TZ, as_of=AS_OF)
    return [s.people for s in result.total.steps]


FUNNEL_SQL = """
WITH ev AS MATERIALIZED (
    SELECT coalesce(m.person_id, e.distinct_id) AS person, e."timestamp" AS ts, e.event
    FROM events e LEFT JOIN identity_map m ON m.id = e.distinct_id
    WHERE e.event IN ('Signup', 'Activate', 'Pay') AND e."timestamp" >= $lo AND e."timestamp" <= $scan_hi
), s1 AS (
    SELECT person, min(ts) AS t1 FROM ev WHERE event = 'Signup' AND ts < $hi GROUP BY person
), s2 AS (
    SELECT s1.person, s1.t1, min(ev.ts) AS t2 FROM s1 JOIN ev ON ev.person = s1.person
    WHERE ev.event = 'Activate' AND ev.ts >= s1.t1 AND ev.ts <= s1.t1 + INTERVAL 7 DAY GROUP BY ALL
), s3 AS (
    SELECT s2.person FROM s2 JOIN ev ON ev.person = s2.person
    WHERE ev.event = 'Pay' AND ev.ts >= s2.t2 AND ev.ts <= s2.t1 + INTERVAL 7 DAY GROUP BY ALL
)
SELECT (SELECT count(*) FROM s1) AS n1, (SELECT count(*) FROM s2) AS n2, (SELECT count(*) FROM s3) AS n3
"""


def _bounds() -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TZ)
    lo = datetime.combine(START, datetime.min.time(), tzinfo=zone)
    hi = datetime.combine(FUNNEL_END + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return {"lo": lo, "hi": hi, "scan_hi": min(hi + WINDOW, AS_OF)}


def funnel_sql(engine: DuckDBEngine) -> list[int]:
    row = engine.query(FUNNEL_SQL, _bounds()).to_pylist()[0]
    return [row["n1"], row["n2"], row["n3"]]


def _frame(engine: DuckDBEngine, where: str, params: dict[str, Any]) -> pd.DataFrame:
    """Rows of events (distinct_id, event, timestamp) read into pandas and resolved to people."""
    con = engine._con  # noqa: SLF001 (the benchmark reads through DuckDB's own pandas export)
    ev = con.execute(f'SELECT distinct_id, event, "timestamp" AS ts FROM events WHERE {where}', params).df()
    ids = con.execute("SELECT id, person_id FROM identity_map").df()
    ev = ev.merge(ids, how="left", left_on="distinct_id", right_on="id")
    ev["person"] = ev["person_id"].fillna(ev["distinct_id"])
    return ev[["person", "event", "ts"]]


def funnel_pandas(engine: DuckDBEngine) -> list[int]:
    b = _bounds()
    ev = _frame(engine, "event IN ('Signup', 'Activate', 'Pay') AND \"timestamp\" >= $lo "
                        "AND \"timestamp\" <= $scan_hi", {"lo": b["lo"], "scan_hi": b["scan_hi"]})
    hi = pd.Timestamp(b["hi"])
    s1 = ev[(ev.event == "Signup") & (ev.ts < hi)].groupby("person", as_index=False).ts.min().rename(
        columns={"ts": "t1"})
    act = s1.merge(ev[ev.event == "Activate"], on="person")
    act = act[(act.ts >= act.t1) & (act.ts <= act.t1 + WINDOW)]
    s2 = act.groupby(["person", "t1"], as_index=False).ts.min().rename(columns={"ts": "t2"})
    pay = s2.merge(ev[ev.event == "Pay"], on="person")
    pay = pay[(pay.ts >= pay.t2) & (pay.ts <= pay.t1 + WINDOW)]
    return [len(s1), len(s2), pay.person.nunique()]


# ---------------------------------------------------------------- retention

def retention_ours(engine: DuckDBEngine) -> dict[tuple[date, int], int]:
    result = retention(engine, start_event="Signup", return_event="Open", interval="week", periods=8,
                       start=START, end=END, tz=TZ, as_of=AS_OF)
    out = {}
    for cohort in result.cohorts:
        out[(cohort.cohort, 0)] = cohort.size
        out.update({(cohort.cohort, p.period): p.returning for p in cohort.periods if p.returning})
    return out


RETENTION_SQL = """
WITH ev AS (
    SELECT coalesce(m.person_id, e.distinct_id) AS person, e."timestamp" AS ts, e.event
    FROM events e LEFT JOIN identity_map m ON m.id = e.distinct_id
    WHERE e.event IN ('Signup', 'Open') AND e."timestamp" <= $as_of
), cohort AS (
    SELECT person, CAST(date_trunc('week', CAST(timezone($tz, min(ts)) AS DATE)) AS DATE) AS cohort
    FROM ev WHERE event = 'Signup' GROUP BY person HAVING min(ts) >= $lo AND min(ts) < $hi
), returns AS (
    SELECT DISTINCT person, CAST(date_trunc('week', CAST(timezone($tz, ts) AS DATE)) AS DATE) AS week
    FROM ev WHERE event = 'Open' AND ts >= $lo
)
SELECT cohort, 0 AS period, count(*) AS people FROM cohort GROUP BY ALL
UNION ALL
SELECT c.cohort, (r.week - c.cohort) // 7 AS period, count(*) AS people
FROM cohort c JOIN returns r USING (person)
WHERE r.week > c.cohort AND r.week <= c.cohort + 56
GROUP BY ALL
"""


def _range_bounds() -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(TZ)
    return (datetime.combine(START, datetime.min.time(), tzinfo=zone),
            datetime.combine(END + timedelta(days=1), datetime.min.time(), tzinfo=zone))


def retention_sql(engine: DuckDBEngine) -> dict[tuple[date, int], int]:
    lo, hi = _range_bounds()
    rows = engine.query(RETENTION_SQL, {"tz": TZ, "lo": lo, "hi": hi, "as_of": AS_OF}).to_pylist()
    return {(r["cohort"], int(r["period"])): int(r["people"]) for r in rows}


def _local_week(ts: pd.Series) -> pd.Series:
    local = ts.dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()
    return local - pd.to_timedelta(local.dt.weekday, unit="D")


def retention_pandas(engine: DuckDBEngine) -> dict[tuple[date, int], int]:
    lo, hi = _range_bounds()
    ev = _frame(engine, "event IN ('Signup', 'Open') AND \"timestamp\" <= $as_of", {"as_of": AS_OF})
    first = ev[ev.event == "Signup"].groupby("person", as_index=False).ts.min()
    first = first[(first.ts >= pd.Timestamp(lo)) & (first.ts < pd.Timestamp(hi))]
    first["cohort"] = _local_week(first.ts)
    opens = ev[(ev.event == "Open") & (ev.ts >= pd.Timestamp(lo))]
    returns = pd.DataFrame({"person": opens.person, "week": _local_week(opens.ts)}).drop_duplicates()
    joined = first[["person", "cohort"]].merge(returns, on="person")
    joined["period"] = (joined.week - joined.cohort).dt.days // 7
    joined = joined[(joined.period >= 1) & (joined.period <= 8)]
    out = {(c.date(), 0): int(n) for c, n in first.groupby("cohort").size().items()}
    out.update({(c.date(), int(p)): int(n) for (c, p), n in joined.groupby(["cohort", "period"]).size().items()})
    return out


# ---------------------------------------------------------------- trends

def trends_ours(engine: DuckDBEngine) -> dict[date, tuple[int, int]]:
    series = trends(engine, events=["Open"], start=START, end=END, interval="day", tz=TZ).series[0]
    return {p.bucket: (p.events, p.people) for p in series.points if p.events}


TRENDS_SQL = """
SELECT CAST(timezone($tz, e."timestamp") AS DATE) AS day, count(*) AS events,
       count(DISTINCT coalesce(m.person_id, e.distinct_id)) AS people
FROM events e LEFT JOIN identity_map m ON m.id = e.distinct_id
WHERE e.event = 'Open' AND e."timestamp" >= $lo AND e."timestamp" < $hi
GROUP BY day
"""


def trends_sql(engine: DuckDBEngine) -> dict[date, tuple[int, int]]:
    lo, hi = _range_bounds()
    rows = engine.query(TRENDS_SQL, {"tz": TZ, "lo": lo, "hi": hi}).to_pylist()
    return {r["day"]: (int(r["events"]), int(r["people"])) for r in rows}


def trends_pandas(engine: DuckDBEngine) -> dict[date, tuple[int, int]]:
    lo, hi = _range_bounds()
    ev = _frame(engine, "event = 'Open' AND \"timestamp\" >= $lo AND \"timestamp\" < $hi", {"lo": lo, "hi": hi})
    ev["day"] = ev.ts.dt.tz_convert(TZ).dt.date
    grouped = ev.groupby("day").agg(events=("person", "size"), people=("person", "nunique"))
    return {d: (int(r.events), int(r.people)) for d, r in grouped.iterrows()}


# ---------------------------------------------------------------- runner

QUESTIONS: dict[str, tuple[Callable, Callable, Callable]] = {
    "funnel (3 steps, 7-day window)": (funnel_ours, funnel_sql, funnel_pandas),
    "retention (weekly, 8 periods)": (retention_ours, retention_sql, retention_pandas),
    "trends (daily, 1 event, unique people)": (trends_ours, trends_sql, trends_pandas),
}


def timed(fn: Callable, engine: DuckDBEngine, repeat: int) -> float:
    fn(engine)  # warm-up: file pages cached, same for all three
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(engine)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    lines = ["| events | question | ours s | hand SQL s | pandas s | ours ÷ SQL (≤ 1.2) | pandas ÷ ours (≥ 2) |",
             "|---|---|---|---|---|---|---|"]
    failed = False
    for n in (int(s) for s in args.sizes.split(",")):
        engine = warehouse(n, args.threads)
        for question, (ours, hand, pandas_fn) in QUESTIONS.items():
            a, b, c = ours(engine), hand(engine), pandas_fn(engine)
            if not (a == b == c):
                print(f"MISMATCH at {n:,} on {question}:\n ours {a}\n sql  {b}\n pandas {c}", file=sys.stderr)
                failed = True
                continue
            t_ours, t_sql, t_pd = (timed(f, engine, args.repeat) for f in (ours, hand, pandas_fn))
            r_sql, r_pd = t_ours / t_sql, t_pd / t_ours
            lines.append(f"| {n:,} | {question} | {t_ours:.3f} | {t_sql:.3f} | {t_pd:.3f} | "
                         f"{r_sql:.2f}× {'ok' if r_sql <= 1.2 else 'MISSED'} | "
                         f"{r_pd:.1f}× {'ok' if r_pd >= 2 else 'MISSED'} |")
            print(lines[-1], flush=True)
        engine.close()
    print("\n".join(lines))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "`.venv/bin/python bench/queries.py " + " ".join(sys.argv[1:]) + "`"
    section = (f"\n### Product analytics queries — {stamp}\n\n{command} on {args.threads} threads, "
               f"Python {platform.python_version()}. Medians of {args.repeat} runs after a warm-up; the three "
               "answers were checked equal first. pandas times include reading the rows from DuckDB.\n\n"
               + "\n".join(lines) + "\n")
    if not failed:
        with (ROOT / "RESULTS.md").open("a") as out:
            out.write(section)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
