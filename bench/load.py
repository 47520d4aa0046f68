"""`spotlight-nifi load` against ClickHouse's own JSONEachRow parser, on the same file and table.

The file: 200,000 ordinary API events (uuid, ISO timestamp, nested actor and repo, IPv4, float,
string array, bool, title), about 1% misfits (an IP that is not one, a quoted score, a negative
id, a missing timestamp, a field without a column). The table: inferred from 5,000 clean events
and created before each run, the same definition for both. Each run starts from a fresh data
directory, in its own process:

- ours: the whole command, `spotlight-nifi load FILE --table events` (start-up, reading,
  checking, inserting, explaining the misfits into the rejects file);
- ClickHouse: chdb's `INSERT INTO events SELECT … FROM file(FILE, JSONEachRow, <the events'
  shape>)`, errors allowed so its lenient parser loads what it can (it takes a quoted score, wraps
  a negative id and fills a missing timestamp, which ours rejects); timed as the statement alone and
  as the whole process (start-up, creating the table, the statement).

`RUNS` runs, ours then ClickHouse's each time; the ratio is ClickHouse's time over ours (1.0: as
fast; goal ≥ 0.5), of the best times and run by run. Peak RSS is each process's own (a larger
RECORDS shows it follows the engine's blocks, not the file). Run: python bench/load.py [RECORDS]
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from spotlight_nifi.infer import infer_table

RECORDS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
RUNS = 7
TABLE = "events"
KINDS = ("PushEvent", "IssuesEvent", "WatchEvent", "ForkEvent", "PullRequestEvent")
SHAPE = ("id UUID, type LowCardinality(String), created_at DateTime64(3, ''UTC''), actor Tuple(id UInt32, login String), "
         "repo Tuple(id UInt32, name String), ip IPv4, score Float64, tags Array(LowCardinality(String)), public Bool, "
         "title String")
"""The events' shape for ClickHouse's parser: nested objects as named Tuples (quotes doubled for a literal)."""
COLUMNS = "id, type, created_at, actor.id, actor.login, repo.id, repo.name, ip, score, tags, public, title"
CREATE = "import sys; from chdb import session; session.Session(sys.argv[1]).query(sys.argv[2])"
"""Creates the table for ours, in a process of its own (not timed)."""
CLICKHOUSE = """
import sys, time
from chdb import session
db = session.Session(sys.argv[1])
db.query(sys.argv[2])
started = time.perf_counter()
db.query(f"INSERT INTO events SELECT {sys.argv[4]} FROM file('{sys.argv[3]}', JSONEachRow, '{sys.argv[5]}') "
         "SETTINGS input_format_allow_errors_ratio = 1, input_format_allow_errors_num = 1000000000")
print(time.perf_counter() - started, db.query("SELECT count() FROM events", "CSV").bytes().decode().strip())
"""


def event(rng: random.Random, number: int) -> dict[str, Any]:
    """One API event; about 1 in 100 does not fit the table (five ways, evenly)."""
    at = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=number * 13, milliseconds=rng.randrange(1000))
    record: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "type": rng.choice(KINDS),
        "created_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "actor": {"id": rng.randrange(1, 5_000_000), "login": f"user{rng.randrange(100_000)}"},
        "repo": {"id": rng.randrange(1, 90_000_000), "name": f"org{rng.randrange(5000)}/repo{rng.randrange(100_000)}"},
        "ip": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "score": round(rng.random() * 100, 3),
        "tags": rng.sample(["bug", "ui", "api", "docs", "perf", "ci"], rng.randrange(0, 4)),
        "public": rng.random() < 0.9,
        "title": f"Fix {rng.choice(['crash', 'leak', 'typo', 'race'])} in module {rng.randrange(1000)}",
    }
    if number >= 5_000 and rng.random() < 0.01:
        misfit = rng.randrange(5)
        if misfit == 0:
            record["ip"] = "not-an-ip"
        elif misfit == 1:
            record["score"] = str(record["score"])
        elif misfit == 2:
            record["actor"]["id"] = -5
        elif misfit == 3:
            del record["created_at"]
        else:
            record["extra"] = 1
    return record


def run(command: list[str], work: Path) -> tuple[float, int, str]:
    """Wall time, peak RSS (MiB) and output of one process."""
    out, err = work / "stdout", work / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
    if status:
        raise SystemExit(f"{' '.join(command[:3])} failed: {err.read_text()[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, out.read_text().strip()


def main() -> None:
    rng = random.Random(13)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        path = work / "events.jsonl"
        with path.open("wb") as file:
            for number in range(RECORDS):
                file.write(orjson.dumps(event(rng, number)) + b"\n")
        with path.open("rb") as file:
            ddl = infer_table([orjson.loads(next(file)) for _ in range(5_000)], TABLE).create_sql
        shape = ", ".join(line.strip().split(" COMMENT")[0].split(" CODEC")[0] for line in ddl.splitlines() if line.startswith("    `"))
        print(f"{RECORDS:,} events, {path.stat().st_size / 2**20:.0f} MiB, into a table inferred from the first 5,000: {shape}")
        ours, theirs = [], []
        for attempt in range(RUNS):
            data = work / f"ours-{attempt}"
            subprocess.run([sys.executable, "-c", CREATE, str(data), ddl], check=True)
            ours.append(run(["spotlight-nifi", "load", str(path), "--table", TABLE, "--clickhouse", f"chdb://{data}",
                             "--rejects", str(work / "rejects.jsonl")], work))
            elapsed, rss, out = run([sys.executable, "-c", CLICKHOUSE, str(work / f"clickhouse-{attempt}"), ddl, str(path),
                                     COLUMNS, SHAPE], work)
            seconds, count = out.split()
            theirs.append((elapsed, rss, count, float(seconds)))
            shutil.rmtree(work / f"ours-{attempt}")
            shutil.rmtree(work / f"clickhouse-{attempt}")
        paired = sorted(t[3] / o[0] for o, t in zip(ours, theirs))
        best_ours, best_theirs = min(ours), min(theirs)
        best_statement = min(t[3] for t in theirs)
        print(f"ours:       {best_ours[0]:.2f} s whole command, peak RSS {best_ours[1]} MiB: {best_ours[2]}")
        print(f"ClickHouse: {best_statement:.2f} s the INSERT alone, {best_theirs[0]:.2f} s its whole process, "
              f"peak RSS {best_theirs[1]} MiB, {best_theirs[2]} rows (its parser is lenient: it loads misfits ours rejects)")
        print(f"ratio (ClickHouse / ours), best of {RUNS}: {best_statement / best_ours[0]:.2f} against the INSERT alone, "
              f"{best_theirs[0] / best_ours[0]:.2f} process against process; run by run against the INSERT alone: "
              f"median {paired[len(paired) // 2]:.2f} (from {paired[0]:.2f} to {paired[-1]:.2f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
