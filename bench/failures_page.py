#!/usr/bin/env python3
"""Response time of the stewards' list page at 1,000,000 failure rows: p50/p95 over 100 requests.

A fresh database is made on the PostgreSQL of `--dsn` (or `FAILURE_DB_DSN`; `spotlight-nifi dev
env` prints the local stack's), migrated, and filled with `--rows` failures over 30 days, 8 topics,
4 flows, every status and reason class (the classifying trigger is off while filling: this
measures pages, not inserts). The page runs on loopback in this process, as `failures serve`
runs it; a logged-in client times whole HTTP requests: the first and the last page, unfiltered
and filtered (open records of one topic), and a page in the middle reached by its keyset cursor.
The database is dropped at the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import threading
import time
import urllib.parse
import urllib.request
import uuid

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from spotlight_nifi import failures, web
from spotlight_nifi.config import Settings

PASSWORD = "bench password, not a secret"
SEED = """
INSERT INTO failures (payload, key, topic, "partition", "offset", flow, processor, reason, reason_class,
                      target_table, first_seen, last_seen, attempts, status)
SELECT convert_to('{"id": ' || n || ', "qty": "seven", "note": "row ' || n || '"}', 'UTF8'),
       convert_to('k' || n, 'UTF8'),
       'topic_' || (n %% 8), (n %% 3)::int, n, 'flow_' || (n %% 4), 'CastToClickHouse',
       'field `qty` is not an integer (column `qty` UInt16) #' || (n %% 50),
       (ARRAY['wrong type', 'unknown field', 'invalid JSON', 'missing or null field'])[1 + n %% 4],
       'table_' || (n %% 8),
       %(start)s::timestamptz + (n * interval '30 days' / %(rows)s),
       %(start)s::timestamptz + (n * interval '30 days' / %(rows)s) + interval '1 hour',
       1 + n %% 3, (ARRAY['new', 'new', 'replayed', 'resolved', 'ignored'])[1 + n %% 5]
FROM generate_series(1, %(rows)s) AS n
"""


def make_database(dsn: str, rows: int) -> str:
    """A new, migrated database holding `rows` failures; its DSN."""
    name = f"bench_failures_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    bench_dsn = make_conninfo(dsn, dbname=name)
    failures.migrate(bench_dsn)
    started = time.perf_counter()
    with psycopg.connect(bench_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE failures DISABLE TRIGGER failures_classify")
        conn.execute(SEED, {"rows": rows, "start": "2026-01-01T00:00:00Z"})
        conn.execute("ALTER TABLE failures ENABLE TRIGGER failures_classify")
        conn.execute("VACUUM ANALYZE failures")
    print(f"filled {rows:,} failures in {time.perf_counter() - started:.0f} s")
    return bench_dsn


def drop_database(dsn: str, bench_dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{conninfo_to_dict(bench_dsn)["dbname"]}" WITH (FORCE)')


def logged_in(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("the login page has no CSRF token")
    form = urllib.parse.urlencode({"user": "steward", "password": PASSWORD, "csrf_token": token.group(1)}).encode()
    if "Log out steward" not in opener.open(f"{base}/login", form).read().decode():
        raise SystemExit("could not log in to the bench page")
    return opener


def timings(opener: urllib.request.OpenerDirector, url: str, requests: int) -> list[float]:
    """Milliseconds per whole request; each must answer 200 with a full page of rows."""
    spent = []
    for _ in range(requests):
        started = time.perf_counter()
        with opener.open(url) as response:
            body = response.read()
        spent.append((time.perf_counter() - started) * 1000)
        rows = body.count(b'name="id"')
        if response.status != 200 or rows != 50:
            raise SystemExit(f"`{url}` answered {response.status} with {rows} rows")
    return spent


def middle_cursor(opener: urllib.request.OpenerDirector, base: str, bench_dsn: str) -> str:
    """The `after` link of a page in the middle of the unfiltered list (newest first)."""
    with psycopg.connect(bench_dsn) as conn:
        row = conn.execute("SELECT first_seen, id FROM failures ORDER BY first_seen DESC, id DESC "
                           "OFFSET (SELECT count(*) / 2 FROM failures) LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("no rows to page through")
    return f"{base}/failures?after={failures.Cursor(row[0], row[1]).token()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="PostgreSQL to make the bench database on (default FAILURE_DB_DSN)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    dsn = args.dsn or Settings.load().require("FAILURE_DB_DSN", hint="`spotlight-nifi dev env` prints the local one")
    bench_dsn = make_database(dsn, args.rows)
    server = web.server(web.WebConfig(dsn=bench_dsn, user="steward", password_hash=web.password_hash(PASSWORD)),
                        "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        opener = logged_in(base)
        filtered = "status=open&topic=topic_3"
        cases = {
            "first page": f"{base}/failures",
            "last page": f"{base}/failures?last=1",
            "middle page (keyset cursor)": middle_cursor(opener, base, bench_dsn),
            "first page, open in one topic": f"{base}/failures?{filtered}",
            "last page, open in one topic": f"{base}/failures?{filtered}&last=1",
        }
        print(f"list page, {args.rows:,} failure rows, {args.requests} requests each (ms)")
        print(f"{'':32} {'p50':>7} {'p95':>7} {'max':>7}")
        for name, url in cases.items():
            spent = timings(opener, url, args.requests)
            p95 = statistics.quantiles(spent, n=20)[-1]
            print(f"{name:32} {statistics.median(spent):7.1f} {p95:7.1f} {max(spent):7.1f}")
    finally:
        server.shutdown()
        server.app.extensions["spotlight_failures"].close()
        if not args.keep:
            drop_database(dsn, bench_dsn)


if __name__ == "__main__":
    main()
