#!/usr/bin/env python3
"""Peak memory of CastToClickHouse and InsertClickHouse on a 200 MB FlowFile, against what they must hold.

NiFi's Python API hands a processor its FlowFile's content as one `bytes` and takes the new content
back as one: the input and the output are held whole by the API, whatever the processor does. The
bound is on what we build on top of them. So each step runs in a fresh process (so that no memory
freed by an earlier step hides its needs), on a chdb table created beforehand, with its input read
from a file before its peak RSS (VmHWM) is reset; it prints the growth of the peak over the RSS before
the step, the output it had to return, and the growth left once the output is taken off: the
working set, to compare with the batch. Cast reads and casts one block of lines at a time
(`batch.BLOCK` bytes of input) and joins the lines it writes into its output `PENDING` at a time (a
growing output buffer below glibc's 32 MB mmap threshold may be copied as it grows: up to that much
more, whatever the FlowFile's size); Insert holds one insert's rows at a time (Batch Size records),
measured with chdb (whose engine parses and writes each insert) and with a backend that only
writes each insert's text (our part alone). Two FlowFile sizes show the working set does not follow
the FlowFile. For comparison, the list path the processor took before (`read_batch`, `cast_batch`,
`envelope.encode`: every record parsed and held) runs on the same content.

The records are API events of `bench/datasets.py` mix (a) as ConsumeKafka wrapper records, 1% misfits.

Run: python bench/memory.py
"""

from __future__ import annotations

import gc
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import api_event  # noqa: E402

from spotlight_nifi.cast import compile_caster, json_bytes  # noqa: E402
from spotlight_nifi.clickhouse import ClickHouse, connect  # noqa: E402
from spotlight_nifi.clickhouse.interface import JSONRows  # noqa: E402
from spotlight_nifi.clickhouse.tables import table_columns  # noqa: E402
from spotlight_nifi.infer import infer_table  # noqa: E402
from spotlight_nifi.ingest import envelope  # noqa: E402
from spotlight_nifi.ingest.batch import BLOCK, cast_batch, read_batch  # noqa: E402
from spotlight_nifi.ingest.envelope import PENDING  # noqa: E402
from spotlight_nifi.ingest.steps import cast_flowfile, insert_flowfile  # noqa: E402

SIZES, BATCH, MB = (50_000_000, 200_000_000), 10_000, 1e6
TABLE = "events"


def flowfile(size: int) -> tuple[bytes, list[dict[str, Any]]]:
    """About `size` bytes of wrapper records, and 1000 fitting records to create the table from."""
    rng, out, samples, n = random.Random(7), bytearray(), [], 0
    while len(out) < size:
        record, fits = api_event(n, rng)
        if fits and len(samples) < 1000:
            samples.append(record)
        out += b'{"key":null,"value":' + json_bytes(record) + (
            b',"headers":{},"metadata":{"topic":"events","partition":0,"offset":%d,"timestamp":0}}\n' % n)
        n += 1
    return bytes(out), samples


class TextOnly:
    """The backend less ClickHouse: each insert's text is written, then dropped."""

    def __init__(self, db: ClickHouse) -> None:
        self.db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def insert(self, table: str, columns: Sequence[str], rows: Any, token: str | None = None) -> None:
        if not isinstance(rows, JSONRows):
            raise RuntimeError("the rows were cast again")
        rows.text()


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_growth(step: Callable[[], Any]) -> tuple[Any, int]:
    """What `step` returns, and how far the peak RSS rose above the RSS before it."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _status("VmRSS")
    result = step()
    return result, _status("VmHWM") - before


def step(name: str, work: Path) -> dict[str, Any]:
    """One measurement, in this (fresh) process: its RSS growth and output size."""
    content = (work / "flowfile").read_bytes()
    db = connect(f"chdb://{work / 'chdb'}")
    try:
        if name == "cast":
            outcome, growth = rss_growth(lambda: cast_flowfile(db, content, {"uuid": "ff"}, table=TABLE, mode="create"))
            (work / "envelope").write_bytes(outcome.contents or b"")
            (work / "attributes").write_text(json.dumps(outcome.attributes))
            return {"growth": growth, "output": len(outcome.contents or b"")}
        if name == "before":
            caster = compile_caster(table_columns(db, TABLE) or [])
            old, growth = rss_growth(lambda: envelope.encode(cast_batch(read_batch(content), caster)))
            return {"growth": growth, "output": len(old)}
        output = (work / "envelope").read_bytes()
        attributes = {**json.loads((work / "attributes").read_text()), "uuid": name}
        into = db if name == "insert" else TextOnly(db)
        inserted, growth = rss_growth(lambda: insert_flowfile(into, output, attributes, table=TABLE, batch_size=BATCH))
        return {"growth": growth, "output": 0, "rows": inserted.attributes.get(envelope.INSERTED)}
    finally:
        db.close()


STEPS = {
    "cast": ("CastToClickHouse", f"{BLOCK / MB:.0f} MB of input read at a time, {PENDING:,} lines written at a time"),
    "insert": ("InsertClickHouse into chdb", f"Batch Size {BATCH:,}"),
    "texts": ("InsertClickHouse, texts only", f"Batch Size {BATCH:,}"),
    "before": ("before: read_batch + cast_batch + envelope.encode", "every record held"),
}


def measure(size: int, work: Path) -> None:
    content, samples = flowfile(size)
    records, length = content.count(b"\n"), len(content)
    (work / "flowfile").write_bytes(content)
    db = connect(f"chdb://{work / 'chdb'}")
    db.command(f"DROP TABLE IF EXISTS {TABLE}")
    db.command(infer_table(samples, TABLE).create_sql)
    db.close()
    del content
    print(f"FlowFile: {length / MB:.0f} MB, {records:,} records ({length / records:.0f} bytes each)")
    for name in ("cast", "insert", "texts", *(("before",) if size == SIZES[-1] else ())):
        done = subprocess.run([sys.executable, __file__, name, str(work)], capture_output=True, text=True, check=True)
        found = json.loads(done.stdout.splitlines()[-1])
        title, batch = STEPS[name]
        rows = f", {found['rows']} rows" if found.get("rows") else ""
        print(f"    {title}: peak RSS growth {found['growth'] / MB:7.1f} MB, output {found['output'] / MB:5.1f} MB, "
              f"working set {(found['growth'] - found['output']) / MB:6.1f} MB ({batch}{rows})")


def main() -> None:
    if len(sys.argv) == 3:
        print(json.dumps(step(sys.argv[1], Path(sys.argv[2]))))
        return
    work = Path(tempfile.mkdtemp(prefix="spotlight-bench-memory-"))
    try:
        for size in SIZES:
            measure(size, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("the API holds the input and the output whole; the working set is what we build beyond them")


if __name__ == "__main__":
    main()
