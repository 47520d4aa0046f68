#!/usr/bin/env python3
"""Records/s of CastToClickHouse's core against orjson loads + dumps of the same records (goal ≥ 0.5).

For each record mix of `bench/datasets.py` ((a) API events with 1% misfits, (b) 200-column records,
(c) integers beyond 64 bits on every record), the batch is ConsumeKafka wrapper records (JSON
Lines) and the table's columns are inferred from 1000 fitting records drawn from the batch. Our
path is what the processor does to a FlowFile's bytes once the table exists: read the lines,
cast every record (the typed fast path, and the reasoning caster for any record it refuses), and
write the envelope FlowFile, each fitting line with its row ready for ClickHouse, with the cycle
collector paused as `cast_flowfile` pauses it. The limit only parses and re-serialises the same
lines with orjson (which turns integers beyond 64 bits into floats: it reads (c) inexactly).
Best of three runs each; the ratio is the limit's time over ours.

Then width: flat records of 10, 100 and 1,000 columns, as many fields in total at each width,
their keys in one order (as one producer writes them), then each record's in an order of its own
(the typed fast path leaves wide levels whose records disagree on the order to the caster alone).
Linear cost in width shows as a flat time per field.

Run: python bench/processors.py
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import MIXES, flat, mix  # noqa: E402

from spotlight_nifi.cast import Caster, compile_caster, json_bytes  # noqa: E402
from spotlight_nifi.infer import infer_columns  # noqa: E402
from spotlight_nifi.ingest import envelope  # noqa: E402
from spotlight_nifi.ingest.batch import gc_paused, read_head  # noqa: E402
from spotlight_nifi.ingest.steps import cast_records  # noqa: E402

SIZES = {"a": 100_000, "b": 10_000, "c": 100_000}
WIDTHS, FIELDS = (10, 100, 1000), 1_000_000
REPEATS = 3


def _metadata(offset: int) -> bytes:
    return b',"headers":{},"metadata":{"topic":"events","partition":0,"offset":%d,"timestamp":0}}' % offset


def best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def ours(content: bytes, caster: Caster) -> Callable[[], object]:
    def run() -> object:
        with gc_paused():
            head, rest = read_head(content, 0)
            writer = cast_records(head, rest, caster)
            return writer.content(), writer.counts()
    return run


def limit(content: bytes) -> Callable[[], object]:
    lines = content.split(b"\n")[:-1]
    return lambda: b"\n".join(orjson.dumps(orjson.loads(line)) for line in lines)


def batch(records: list[tuple[dict, bool]]) -> tuple[bytes, Caster]:
    """The wrapper records' JSON Lines, and the caster of a table inferred from 1000 that fit."""
    good = [r for r, fits in records if fits]
    content = b"".join(b'{"key":null,"value":' + json_bytes(r) + _metadata(n) + b"\n"
                       for n, (r, _) in enumerate(records))
    return content, compile_caster(infer_columns(random.Random(1).sample(good, min(1000, len(good)))))


def report_mix(name: str) -> None:
    title, _ = MIXES[name]
    records = mix(name, SIZES[name])
    content, caster = batch(records)
    ours_s, limit_s = best(ours(content, caster)), best(limit(content))
    out, counts = ours(content, caster)()  # type: ignore[misc]
    print(f"({name}) {title}: {len(records):,} records ({len(content) / 1e6:.1f} MB), {len(caster.columns)} columns, "
          f"{int(counts[envelope.FAILED]):,} misfits")
    print(f"    ours {len(records) / ours_s:>10,.0f} records/s   orjson loads + dumps {len(records) / limit_s:>10,.0f}"
          f" records/s   ratio {limit_s / ours_s:.2f}   (envelope {len(out) / 1e6:.1f} MB)")


def shuffled(records: list[tuple[dict, bool]]) -> list[tuple[dict, bool]]:
    """The same records, each with its keys in an order of its own."""
    out = []
    for n, (record, fits) in enumerate(records):
        keys = list(record)
        random.Random(n).shuffle(keys)
        out.append(({key: record[key] for key in keys}, fits))
    return out


def report_widths() -> None:
    print(f"width (flat records, {FIELDS:,} fields at each width; linear cost is a flat time per field):")
    for width in WIDTHS:
        count = FIELDS // width
        records = [flat(width)(n, random.Random(n)) for n in range(count)]
        for order, batch_records in (("one key order", records), ("each its own", shuffled(records))):
            content, caster = batch(batch_records)
            ours_s, limit_s = best(ours(content, caster)), best(limit(content))
            print(f"    {width:>5} columns, {order:<13}: {count:>7,} records, "
                  f"ours {ours_s / FIELDS * 1e9:5.0f} ns/field, orjson {limit_s / FIELDS * 1e9:4.0f} ns/field, "
                  f"ratio {limit_s / ours_s:.2f}")


def main() -> None:
    for name in MIXES:
        report_mix(name)
    report_widths()
    print("goal: ratio ≥ 0.5 for (a) and (b); (c) is reported")


if __name__ == "__main__":
    main()
