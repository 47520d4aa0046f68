#!/usr/bin/env python3
"""Records/s of CastToClickHouse's core against orjson loads + dumps of the same records (goal ≥ 0.5).

The batch is 100k ConsumeKafka wrapper records (JSON Lines) with nested fields, one in 20 not
fitting the table; the table's columns are inferred from 1000 good ones spread over the batch. Our path is
what the processor does to a FlowFile's bytes: read and unwrap (`read_batch`), cast every record
(`cast_batch`), and write the envelope FlowFile (`envelope.encode`), with the cycle collector
paused as `cast_flowfile` pauses it. The baseline only parses and re-serialises the same bytes with
orjson. Best of five runs each.

Run: python bench/processors.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import orjson

from spotlight_nifi.cast import compile_caster
from spotlight_nifi.infer import infer_columns
from spotlight_nifi.ingest import envelope
from spotlight_nifi.ingest.batch import cast_batch, gc_paused, read_batch

RECORDS, REPEATS = 100_000, 5


def record(n: int, rng: random.Random) -> dict:
    user = {"id": f"{rng.getrandbits(128):032x}", "country": rng.choice(["FR", "DE", "US", "JP"]),
            "vip": n % 3 == 0, "age": rng.randint(18, 90) if n % 20 else "unknown"}
    return {
        "id": n, "event": rng.choice(["view", "click", "buy", "refund"]),
        "at": f"2024-05-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{n % 59:02d}.{n % 1000:03d}Z",
        "user": user,
        "cart": {"items": [rng.randint(1, 5000) for _ in range(rng.randint(0, 5))], "total": round(rng.random() * 500, 2),
                 "coupon": None if n % 4 else "SPRING"},
        "device": {"ip": f"10.{n % 256}.{(n >> 8) % 256}.{n % 200}", "os": rng.choice(["ios", "android", "web"])},
    }


def wrapped(records: list[dict]) -> bytes:
    return b"\n".join(orjson.dumps({"key": None, "value": r, "headers": {},
                                    "metadata": {"topic": "events", "partition": 0, "offset": n, "timestamp": 0}})
                      for n, r in enumerate(records))


def best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = random.Random(7)
    records = [record(n, rng) for n in range(1, RECORDS + 1)]
    content = wrapped(records)
    good = [r for r in records if type(r["user"]["age"]) is int]
    caster = compile_caster(infer_columns(good[::len(good) // 1000]))

    def ours() -> object:
        with gc_paused():
            return envelope.encode(cast_batch(read_batch(content), caster))

    def baseline() -> object:
        return b"\n".join(orjson.dumps(orjson.loads(line)) for line in content.split(b"\n"))

    ours_s, base_s = best(ours), best(baseline)
    batch = cast_batch(read_batch(content), caster)
    print(f"records: {RECORDS:,} ({len(content) / 1e6:.1f} MB), cast: {len(batch.good):,}, "
          f"rejected: {len(batch.failed):,}, columns: {len(caster.columns)}")
    print(f"read + cast + envelope: {RECORDS / ours_s:,.0f} records/s")
    print(f"orjson loads + dumps:   {RECORDS / base_s:,.0f} records/s")
    print(f"ratio: {base_s / ours_s:.2f} (goal ≥ 0.5)")


if __name__ == "__main__":
    main()
