"""Our type inference against ClickHouse's own (`DESCRIBE format(JSONEachRow, …)`), with chdb.

Datasets are real, messy, nested JSON from published packages (`bench/datasets.py`, downloaded at
run time, never committed): Reddit things, GitHub Events API objects and GitHub issues, each split
by time 50/50; and `stream`, one topic carrying three APIs (GitHub webhooks of 64 event types,
GitHub events, Reddit things: about 190 event types and thousands of leaf paths, some an integer
in one event type and a string or an object in another), split 50/50 in its shuffled order. Types
are inferred on the first half (ours choose their layout: flat, or typed columns + JSON) and
measured with chdb:

1. strict acceptance of held-out records (every field kept: `input_format_skip_unknown_fields=0`),
   ours without and with our evolution (the reviewed plan, `infer --evolve --apply`);
2. compressed bytes on disk per row of a MergeTree holding all rows (both inferred on all rows),
   after `OPTIMIZE … FINAL`;
3. inference time per 10k records, reading included: ours the columns and their layout (not the
   JSON Schema nor the DDL text), ClickHouse `DESCRIBE file(...)` with the byte cap lifted.

ClickHouse's inference that fails outright is retried with the settings its errors suggest
(`RETRIES`: variants on for a type that differs between rows, String for ambiguous paths); the
settings used are printed.

Run: python bench/infer_vs_clickhouse.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from spotlight_nifi.cast import compile_caster, json_text
from spotlight_nifi.clickhouse import connect
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.clickhouse.tables import execute_ddl, migration_plan
from spotlight_nifi.errors import ClickHouseError, RecordCastError
from spotlight_nifi.infer import Options, infer_layout, infer_table
from spotlight_nifi.infer.names import literal, quote
from spotlight_nifi.infer.reader import parse_lines
from spotlight_nifi.infer.types import Column

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datasets  # bench/datasets.py, next to this file

NO_CAP = (" SETTINGS input_format_max_bytes_to_read_for_schema_inference = 1000000000000,"
          " input_format_max_rows_to_read_for_schema_inference = 1000000000, schema_inference_use_cache_for_file = 0")
STRICT = (" SETTINGS input_format_skip_unknown_fields = 0, input_format_json_ignore_unknown_keys_in_named_tuple = 0,"
          " date_time_input_format = 'best_effort'")
RETRIES = {"differs from type defined by previous rows": ("input_format_try_infer_variants = 1", "variants on"),
           "ambiguous": ("input_format_json_use_string_type_for_ambiguous_paths_in_named_tuples_inference_from_objects = 1",
                         "String for paths that are an object in one record and a scalar in another")}
"""Error text → the setting ClickHouse's inference is retried with when it fails with it (as its
error messages suggest), one more setting each time."""
COMPACT = " SETTINGS min_bytes_for_wide_part = 1000000000000"
"""For a table of thousands of subcolumns whose Wide part needs more files than a process may open."""


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json_text(r) for r in records) + "\n")
    return path


def clickhouse_columns(db: Embedded, path: Path, settings: str = "") -> tuple[list[tuple[str, str]], float, str]:
    """ClickHouse's inferred columns, the time it took and the settings it needed: when it fails
    outright, retried with the setting of `RETRIES` its error asks for."""
    sql = f"DESCRIBE file({literal(str(path))}, JSONEachRow)" + NO_CAP
    started = time.perf_counter()
    try:
        rows = db.query(sql + settings)
    except ClickHouseError as error:
        fix = next((fix for text, fix in RETRIES.items() if text in str(error) and fix[0] not in settings), None)
        if fix is None:
            raise
        setting, what = fix
        print(f"   ClickHouse inference failed on {path.name}: {str(error).split('Error:')[-1].strip()[:140]}…")
        print(f"   retrying with {what} ({setting})")
        return clickhouse_columns(db, path, settings + ", " + setting)
    return [(str(r[0]), str(r[1])) for r in rows], time.perf_counter() - started, settings


def clickhouse_table(db: Embedded, table: str, columns: list[tuple[str, str]], engine: str, settings: str = "") -> None:
    db.command(f"DROP TABLE IF EXISTS {quote(table)}")
    body = ", ".join(f"{quote(n)} {t}" for n, t in columns)
    execute_ddl(db, f"CREATE TABLE {quote(table)} ({body}) ENGINE = {engine}"
           + (" ORDER BY tuple()" if engine == "MergeTree" else "") + settings)


def clickhouse_accepts(db: Embedded, table: str, lines: list[str], settings: str = "") -> int:
    accepted = 0
    for line in lines:
        try:
            db.command(f"INSERT INTO {quote(table)}{STRICT}{settings} FORMAT JSONEachRow\n{line}")
            accepted += 1
        except ClickHouseError:
            pass
    return accepted


def ours_accepts(columns: list[Column], records: list[dict[str, Any]]) -> tuple[int, list[tuple[Any, ...]]]:
    caster = compile_caster(columns)
    rows = []
    for record in records:
        try:
            rows.append(caster.cast(record))
        except RecordCastError:
            pass
    return len(rows), rows


def bytes_per_row(db: Embedded, table: str) -> tuple[float, float, int, str]:
    """Compressed data bytes per row, and all bytes on disk per row (adds per-part, per-column
    files such as the automatic column statistics, a fixed cost that small samples magnify)."""
    db.command(f"OPTIMIZE TABLE {quote(table)} FINAL")
    data, disk, rows, kind = db.query("SELECT sum(data_compressed_bytes), sum(bytes_on_disk), sum(rows), any(part_type) "
                                      f"FROM system.parts WHERE active AND database = currentDatabase() AND table = {literal(table)}")[0]
    return int(data) / max(1, int(rows)), int(disk) / max(1, int(rows)), int(rows), str(kind)


def run(db: Embedded, name: str, records: list[dict[str, Any]], work: Path) -> dict[str, float]:
    half = len(records) // 2
    train, test = records[:half], records[half:]
    train_path, all_path = jsonl(work / f"{name}-train.jsonl", train), jsonl(work / f"{name}-all.jsonl", records)
    test_lines = [json_text(r) for r in test]

    data = train_path.read_bytes()
    started = time.perf_counter()
    infer_layout(parse_lines(str(train_path), data).records, name + "_ours")
    ours_time = time.perf_counter() - started
    ours = infer_table(train, name + "_ours")
    theirs, theirs_time, settings = clickhouse_columns(db, train_path)

    db.command(f"DROP TABLE IF EXISTS {quote(name + '_ours')}")
    execute_ddl(db, ours.create_sql)
    accepted_ours, rows = ours_accepts(ours.columns, test)
    db.insert(name + "_ours", [c.name for c in ours.columns], rows)
    evolved = migration_plan(name + "_ours", ours.columns, test, Options()).columns_after(ours.columns)
    accepted_evolved, _ = ours_accepts(evolved, test)
    clickhouse_table(db, name + "_ch", theirs, "Null")
    accepted_theirs = clickhouse_accepts(db, name + "_ch", test_lines, settings)

    everything = infer_table(records, name + "_all_ours")
    db.command(f"DROP TABLE IF EXISTS {quote(name + '_all_ours')}")
    execute_ddl(db, everything.create_sql)
    started = time.perf_counter()
    _, all_rows = ours_accepts(everything.columns, records)
    cast_rate = len(records) / (time.perf_counter() - started)
    db.insert(name + "_all_ours", [c.name for c in everything.columns], all_rows)
    ours_bytes, ours_disk, ours_rows, ours_part = bytes_per_row(db, name + "_all_ours")
    theirs_all, _, all_settings = clickhouse_columns(db, all_path)
    fill = (f"INSERT INTO {quote(name + '_all_ch')} SELECT * FROM file({literal(str(all_path))}, JSONEachRow) "
            "SETTINGS input_format_allow_errors_ratio = 1, date_time_input_format = 'best_effort'" + all_settings)
    clickhouse_table(db, name + "_all_ch", theirs_all, "MergeTree")
    try:
        db.command(fill)
    except ClickHouseError as error:
        print(f"   ClickHouse's own table refused the rows: {str(error).split('Exception:')[-1].strip()[:150]}…")
        print(f"   measuring it with Compact parts instead ({COMPACT.strip()}), the part type ours has here")
        clickhouse_table(db, name + "_all_ch", theirs_all, "MergeTree", COMPACT)
        db.command(fill)
    theirs_bytes, theirs_disk, theirs_rows, theirs_part = bytes_per_row(db, name + "_all_ch")

    n = len(test)
    print(f"\n== {name}: {len(records)} records ({len(train)} to infer, {n} held out); ours {ours.layout.kind}, "
          f"{len(ours.columns)} columns, CREATE TABLE {len(ours.create_sql.encode()) / 1024:.0f} KiB; ClickHouse "
          f"{len(theirs)} columns{' with ' + settings.lstrip(', ') if settings else ''}")
    for note in ours.layout.notes[:-1]:
        print(f"   {note}")
    print(f"strict held-out acceptance: ours {accepted_ours / n:.1%}, with evolution {accepted_evolved / n:.1%}, "
          f"ClickHouse {accepted_theirs / n:.1%}  (ratio ours/ClickHouse {accepted_ours / max(1, accepted_theirs):.2f})")
    print(f"compressed bytes per row: ours {ours_bytes:.1f} ({ours_rows} rows, {ours_part}), ClickHouse {theirs_bytes:.1f} "
          f"({theirs_rows} rows, {theirs_part})  (ratio {ours_bytes / theirs_bytes:.2f}); all bytes on disk per row: ours "
          f"{ours_disk:.1f}, ClickHouse {theirs_disk:.1f} (ratio {ours_disk / theirs_disk:.2f})")
    per10k = 10_000 / len(train)
    print(f"inference per 10k records: ours {ours_time * per10k * 1000:.0f} ms, ClickHouse {theirs_time * per10k * 1000:.0f} ms  "
          f"(ratio {ours_time / theirs_time:.2f})")
    print(f"casting (the NiFi processor's path): {cast_rate:,.0f} records/s")
    return {"acceptance": accepted_ours / max(1, accepted_theirs), "evolved": accepted_evolved / n,
            "bytes": ours_bytes / theirs_bytes, "disk": ours_disk / theirs_disk, "time": ours_time / theirs_time}


def main() -> None:
    chosen = sys.argv[1:] or ["reddit", "github_events", "github_issues", "stream"]
    loaders = {"reddit": datasets.reddit, "github_events": datasets.github_events,
               "github_issues": datasets.github_issues, "stream": datasets.events_stream}
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"chdb://{Path(tmp) / 'clickhouse'}")
        assert isinstance(db, Embedded)
        try:
            results = {name: run(db, name, loaders[name](), Path(tmp)) for name in chosen}
        finally:
            db.close()
    print("\n== summary (ours / ClickHouse; acceptance ≥ 1, evolved ≥ 99%, bytes ≤ 1, time ≤ 1)")
    for name, r in results.items():
        print(f"{name:14} acceptance {r['acceptance']:.2f}  evolved {r['evolved']:.1%}  bytes {r['bytes']:.2f} "
              f"(on disk {r['disk']:.2f})  time {r['time']:.2f}")


if __name__ == "__main__":
    main()
