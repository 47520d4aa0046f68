#!/usr/bin/env python3
"""The real NiFi 2.3.0 of the local stack: time from `dev up` to a first stored record, and records/s
through the deployed `Spotlight HTTP ingest` flow as a ratio to the direct loop of `bench/pipeline.py`.

Everything starts in a fresh run dir (downloads already cached by `spotlight-nifi dev install`):
PostgreSQL, the ClickHouse engine behind its HTTP interface, NiFi 2.3.0 and, for the direct loop,
Kafka. First record: from the `up` call until one POSTed record is a visible row (start-up, build
for 2.3.0, deploy, NiFi's Python processors preparing their environments, the record's trip).
Throughput: the representative API events of `bench/pipeline.py` (mix (a): UUIDs, timestamps, IPs,
nested objects, arrays, 1% misfits that go to the failure DB) POSTed in batches by two producers,
from the first POST until every fitting record is a visible row and every misfit a failure-DB record; the direct loop consumes the same
events from Kafka and inserts them into chdb itself.

Run: python bench/nifi.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import urllib3
from chdb import session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ and bench/ as packages

from bench.pipeline import created, direct, prepared, timed  # noqa: E402
from spotlight_nifi import failures, stack  # noqa: E402
from spotlight_nifi.canvas import NiFi, deploy_definition  # noqa: E402
from spotlight_nifi.cast import json_bytes  # noqa: E402
from spotlight_nifi.clickhouse import ClickHouse, connect  # noqa: E402
from spotlight_nifi.clickhouse.tables import prepare_table  # noqa: E402
from spotlight_nifi.config import Settings  # noqa: E402
from spotlight_nifi.flow.build import check  # noqa: E402
from spotlight_nifi.flow.manifest import load_manifest  # noqa: E402
from spotlight_nifi.flow.release import release  # noqa: E402
from spotlight_nifi.flow.target import with_project_processors  # noqa: E402
from spotlight_nifi.ingest.batch import HTTP_BATCH  # noqa: E402
from spotlight_nifi.stack.process import choose_port  # noqa: E402
from spotlight_nifi.versions import LOCAL_NIFI_VERSION  # noqa: E402

FLOWS = Path(__file__).resolve().parents[1] / "flows"
FLOW, TABLE, BATCH, PRODUCERS = "Spotlight HTTP ingest", "events", 5_000, 2


def post_all(url: str, values: list[bytes], name: str) -> None:
    """POST `values` in batches of BATCH lines from PRODUCERS threads, each batch until answered 200."""
    batches = [values[i:i + BATCH] for i in range(0, len(values), BATCH)]

    def produce(mine: list[tuple[int, list[bytes]]]) -> None:
        http = urllib3.PoolManager(retries=urllib3.Retry(total=20, backoff_factor=0.2))
        for number, lines in mine:
            answer = http.request("POST", url, body=b"\n".join(lines), headers={HTTP_BATCH: f"{name}-{number}"})
            if answer.status != 200:
                raise RuntimeError(f"batch {number}: HTTP {answer.status}")

    threads = [threading.Thread(target=produce, args=(list(enumerate(batches))[i::PRODUCERS],))
               for i in range(PRODUCERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_for(count: Callable[[], int], expected: int, what: str, timeout: float = 900.0) -> None:
    deadline = time.monotonic() + timeout
    while count() < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} stayed below {expected} for {timeout:.0f} s")
        time.sleep(0.2)


def rows(db: ClickHouse) -> Callable[[], int]:
    return lambda: int(db.query(f"SELECT count() FROM {TABLE}")[0][0])


def main() -> None:
    run_dir, cache = Path(tempfile.mkdtemp(prefix="spotlight-bench-nifi-")), stack.cache_dir(Settings.load())
    run_dir.chmod(0o755)  # PostgreSQL runs as the `postgres` user when we are root
    chdb_dir = Path(tempfile.mkdtemp(prefix="spotlight-bench-chdb-"))
    data = prepared("a")
    values = data.values
    try:
        started = time.perf_counter()
        up: dict[str, float] = {}
        for name in ("postgres", "clickhouse", "nifi"):
            at = time.perf_counter()
            stack.up(run_dir, cache, [name])
            up[name] = time.perf_counter() - at
        running = stack.StackState.load(run_dir).running
        env = {k: v for r in running.values() for k, v in r.env.items()}
        failures.migrate(env["FAILURE_DB_DSN"])
        port = choose_port("ingress", None)
        settings = Settings(environ={**env, "NIFI_HTTP_INGRESS_PORT": str(port)})
        db = connect(env["CLICKHOUSE_URL"])
        prepare_table(db, TABLE, data.samples, create=True, evolve=False)
        manifest = with_project_processors(load_manifest(nifi_url=env["NIFI_URL"], cache_dir=cache))
        definition = check(FLOWS, manifest, [FLOW], target=release(LOCAL_NIFI_VERSION)).flows[FLOW]
        deployed = time.perf_counter()
        deploy_definition(NiFi(env["NIFI_URL"]), definition, settings)
        deploy_s = time.perf_counter() - deployed
        ingress = f"http://127.0.0.1:{port}/events"
        post_all(ingress, [json_bytes(data.samples[0])], "first")
        wait_for(rows(db), 1, "rows")
        first_s = time.perf_counter() - started

        at = time.perf_counter()
        post_all(ingress, values, uuid.uuid4().hex[:8])
        wait_for(rows(db), 1 + data.good, "rows")
        wait_for(lambda: failures.count(env["FAILURE_DB_DSN"], cap=len(values)), len(values) - data.good,
                 "failure-DB records")
        nifi_s = time.perf_counter() - at
        db.close()

        bootstrap = stack.up(run_dir, cache, ["kafka"]).running["kafka"].url
        direct_db = session.Session(str(chdb_dir))
        direct_table = f"direct_{uuid.uuid4().hex[:6]}"
        columns = created(direct_db, data, direct_table)
        direct_s = timed(bootstrap, direct_table, values, direct(bootstrap, direct_db, direct_table, data, columns))
        direct_db.close()
    finally:
        stack.down(run_dir, cache, purge=True)
        shutil.rmtree(chdb_dir, ignore_errors=True)
    print(f"dev up: {', '.join(f'{n} {s:.1f} s' for n, s in up.items())}; deploy {deploy_s:.1f} s")
    print(f"from dev up to the first record stored: {first_s:.1f} s")
    total = len(values)
    print(f"records: {total:,} ({sum(map(len, values)) / 1e6:.1f} MB, {total - data.good:,} misfits) in batches of "
          f"{BATCH:,} from {PRODUCERS} producers")
    print(f"through NiFi 2.3.0 (ListenHTTP → Cast → Insert, Annotate): {total / nifi_s:,.0f} records/s")
    print(f"direct confluent-kafka → json.loads → chdb (bench/pipeline.py): {total / direct_s:,.0f} records/s")
    print(f"ratio: {direct_s / nifi_s:.2f}")


if __name__ == "__main__":
    main()
