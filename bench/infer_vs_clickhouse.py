"""Our type inference against ClickHouse's own (`DESCRIBE format(JSONEachRow, …)`), with chdb.

Datasets are real, messy, nested JSON from published packages, downloaded at run time into
~/.cache/spotlight-nifi/datasets (never committed): Reddit API responses recorded in the `praw`
sdist's test cassettes, and GitHub API responses (events; issues and pull requests) in the
`github3.py` sdist's. Each is split by time 50/50; types are inferred on the first half and
measured with chdb:

1. strict acceptance of held-out records (every field kept: `input_format_skip_unknown_fields=0`),
   ours without and with our evolution;
2. compressed bytes on disk per row of a MergeTree holding all rows (both inferred on all rows);
3. inference time per 10k records (ClickHouse: `DESCRIBE file(...)` with the byte cap lifted).

Run: python bench/infer_vs_clickhouse.py
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from spotlight_nifi.cast import compile_caster, json_text
from spotlight_nifi.clickhouse import connect
from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.errors import ClickHouseError, RecordCastError
from spotlight_nifi.infer import infer_columns, infer_table
from spotlight_nifi.infer.ddl import create_table
from spotlight_nifi.infer.evolve import plan
from spotlight_nifi.infer.names import literal, quote
from spotlight_nifi.infer.reader import parse_json, parse_lines
from spotlight_nifi.infer.types import Column

CACHE = Path.home() / ".cache" / "spotlight-nifi" / "datasets"
PACKAGES = {"praw": "praw==7.7.1", "github3": "github3.py==4.0.1"}
NO_CAP = (" SETTINGS input_format_max_bytes_to_read_for_schema_inference = 1000000000000,"
          " input_format_max_rows_to_read_for_schema_inference = 1000000000, schema_inference_use_cache_for_file = 0")
STRICT = (" SETTINGS input_format_skip_unknown_fields = 0, input_format_json_ignore_unknown_keys_in_named_tuple = 0,"
          " date_time_input_format = 'best_effort'")


def sdist(name: str) -> Path:
    """The package's source distribution, downloaded once with pip."""
    found = sorted(CACHE.glob(f"{PACKAGES[name].split('==')[0]}-{PACKAGES[name].split('==')[1]}.tar.gz"))
    if not found:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        PACKAGES[name], "-d", str(CACHE)], check=True, capture_output=True)
        found = sorted(CACHE.glob(f"{PACKAGES[name].split('==')[0]}-*.tar.gz"))
    return found[-1]


def bodies(name: str, folder: str, url_filter: Callable[[str], bool]) -> Iterator[Any]:
    """Decoded JSON response bodies of the cassettes whose URL passes `url_filter`."""
    with tarfile.open(sdist(name)) as archive:
        for member in archive.getmembers():
            if f"/{folder}/" not in member.name or not member.name.endswith(".json"):
                continue
            cassette = orjson.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
            for interaction in cassette.get("http_interactions", []):
                response = interaction["response"]
                if not url_filter(response.get("url", "")):
                    continue
                body = response["body"]
                raw = base64.b64decode(body["base64_string"]) if body.get("base64_string") else body.get("string", "").encode()
                if raw[:2] == b"\x1f\x8b":
                    raw = gzip.decompress(raw)
                try:
                    yield parse_json(raw)
                except ValueError:
                    continue


def reddit() -> list[dict[str, Any]]:
    """Things (comments, submissions, subreddits, users…) from Reddit Listing responses."""
    out = []
    for body in bodies("praw", "cassettes", lambda url: "reddit.com" in url):
        for listing in body if isinstance(body, list) else [body]:
            if isinstance(listing, dict) and listing.get("kind") == "Listing":
                out += [c for c in listing["data"].get("children", []) if isinstance(c, dict) and isinstance(c.get("data"), dict)
                        and isinstance(c["data"].get("created_utc"), (int, float))]
    return sorted(_unique(out), key=lambda r: r["data"]["created_utc"])


def github_events() -> list[dict[str, Any]]:
    """GitHub Events API objects (push, issues, pull request… events with their payloads)."""
    out = []
    for body in bodies("github3", "cassettes", lambda url: "events" in url):
        if isinstance(body, list):
            out += [e for e in body if isinstance(e, dict) and "type" in e and isinstance(e.get("created_at"), str)]
    return sorted(_unique(out), key=lambda r: r["created_at"])


def github_issues() -> list[dict[str, Any]]:
    """GitHub issues and pull requests (users, labels, milestones, nested repos)."""
    out = []
    for body in bodies("github3", "cassettes", lambda url: "/issues" in url or "/pulls" in url):
        for item in body if isinstance(body, list) else [body]:
            if isinstance(item, dict) and "number" in item and isinstance(item.get("created_at"), str):
                out.append(item)
    return sorted(_unique(out), key=lambda r: r["created_at"])


def _unique(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for record in records:
        digest = hashlib.sha1(json_text(record).encode()).digest()
        if digest not in seen:
            seen.add(digest)
            out.append(record)
    return out


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json_text(r) for r in records) + "\n")
    return path


def clickhouse_columns(db: Embedded, path: Path) -> tuple[list[tuple[str, str]], float]:
    """ClickHouse's inferred columns and the time it took; when it fails outright on a field that is
    an object in one record and a string in another, retried with the setting it suggests."""
    sql = f"DESCRIBE file({literal(str(path))}, JSONEachRow)" + NO_CAP
    started = time.perf_counter()
    try:
        rows = db.query(sql)
    except ClickHouseError as error:
        print(f"   ClickHouse inference failed on {path.name}: {str(error).split('Error:')[-1].strip()[:160]}…")
        print("   retrying with input_format_json_use_string_type_for_ambiguous_paths_in_named_tuples_inference_from_objects = 1")
        started = time.perf_counter()
        rows = db.query(sql + ", input_format_json_use_string_type_for_ambiguous_paths_in_named_tuples_inference_from_objects = 1")
    return [(str(r[0]), str(r[1])) for r in rows], time.perf_counter() - started


def clickhouse_table(db: Embedded, table: str, columns: list[tuple[str, str]], engine: str) -> None:
    db.command(f"DROP TABLE IF EXISTS {quote(table)}")
    body = ", ".join(f"{quote(n)} {t}" for n, t in columns)
    db.command(f"CREATE TABLE {quote(table)} ({body}) ENGINE = {engine}"
               + (" ORDER BY tuple()" if engine == "MergeTree" else ""))


def clickhouse_accepts(db: Embedded, table: str, lines: list[str]) -> int:
    accepted = 0
    for line in lines:
        try:
            db.command(f"INSERT INTO {quote(table)}{STRICT} FORMAT JSONEachRow\n{line}")
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


def bytes_per_row(db: Embedded, table: str) -> tuple[float, float, int]:
    """Compressed data bytes per row, and all bytes on disk per row (adds per-part, per-column
    files such as the automatic column statistics, a fixed cost that small samples magnify)."""
    db.command(f"OPTIMIZE TABLE {quote(table)} FINAL")
    data, disk, rows = db.query("SELECT sum(data_compressed_bytes), sum(bytes_on_disk), sum(rows) FROM system.parts "
                                f"WHERE active AND database = currentDatabase() AND table = {literal(table)}")[0]
    return int(data) / max(1, int(rows)), int(disk) / max(1, int(rows)), int(rows)


def run(db: Embedded, name: str, records: list[dict[str, Any]], work: Path) -> dict[str, float]:
    half = len(records) // 2
    train, test = records[:half], records[half:]
    train_path, all_path = jsonl(work / f"{name}-train.jsonl", train), jsonl(work / f"{name}-all.jsonl", records)
    test_lines = [json_text(r) for r in test]

    data = train_path.read_bytes()
    started = time.perf_counter()
    ours = infer_columns(parse_lines(str(train_path), data).records)
    ours_time = time.perf_counter() - started
    theirs, theirs_time = clickhouse_columns(db, train_path)

    db.command(f"DROP TABLE IF EXISTS {quote(name + '_ours')}")
    db.command(create_table(name + "_ours", ours))
    accepted_ours, rows = ours_accepts(ours, test)
    db.insert(name + "_ours", [c.name for c in ours], rows)
    evolved = plan(name + "_ours", ours, infer_columns(test)).columns_after(ours)
    accepted_evolved, _ = ours_accepts(evolved, test)
    clickhouse_table(db, name + "_ch", theirs, "Null")
    accepted_theirs = clickhouse_accepts(db, name + "_ch", test_lines)

    everything = infer_table(records, name + "_all_ours")
    db.command(f"DROP TABLE IF EXISTS {quote(name + '_all_ours')}")
    db.command(everything.create_sql)
    started = time.perf_counter()
    _, all_rows = ours_accepts(everything.columns, records)
    cast_rate = len(records) / (time.perf_counter() - started)
    db.insert(name + "_all_ours", [c.name for c in everything.columns], all_rows)
    ours_bytes, ours_disk, ours_rows = bytes_per_row(db, name + "_all_ours")
    theirs_all, _ = clickhouse_columns(db, all_path)
    clickhouse_table(db, name + "_all_ch", theirs_all, "MergeTree")
    db.command(f"INSERT INTO {quote(name + '_all_ch')} SELECT * FROM file({literal(str(all_path))}, JSONEachRow) "
               "SETTINGS input_format_allow_errors_ratio = 1, date_time_input_format = 'best_effort'")
    theirs_bytes, theirs_disk, theirs_rows = bytes_per_row(db, name + "_all_ch")

    n = len(test)
    print(f"\n== {name}: {len(records)} records ({len(train)} to infer, {n} held out); "
          f"{len(ours)} columns ours, {len(theirs)} ClickHouse")
    print(f"strict held-out acceptance: ours {accepted_ours / n:.1%}, with evolution {accepted_evolved / n:.1%}, "
          f"ClickHouse {accepted_theirs / n:.1%}  (ratio ours/ClickHouse {accepted_ours / max(1, accepted_theirs):.2f})")
    print(f"compressed bytes per row: ours {ours_bytes:.1f} ({ours_rows} rows), ClickHouse {theirs_bytes:.1f} "
          f"({theirs_rows} rows)  (ratio {ours_bytes / theirs_bytes:.2f}); all bytes on disk per row: ours "
          f"{ours_disk:.1f}, ClickHouse {theirs_disk:.1f} (ratio {ours_disk / theirs_disk:.2f})")
    per10k = 10_000 / len(train)
    print(f"inference per 10k records: ours {ours_time * per10k * 1000:.0f} ms, ClickHouse {theirs_time * per10k * 1000:.0f} ms  "
          f"(ratio {ours_time / theirs_time:.2f})")
    print(f"casting (the NiFi processor's path): {cast_rate:,.0f} records/s")
    return {"acceptance": accepted_ours / max(1, accepted_theirs), "evolved": accepted_evolved / n,
            "bytes": ours_bytes / theirs_bytes, "disk": ours_disk / theirs_disk, "time": ours_time / theirs_time}


def main() -> None:
    datasets = {"reddit": reddit, "github_events": github_events, "github_issues": github_issues}
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"chdb://{Path(tmp) / 'clickhouse'}")
        assert isinstance(db, Embedded)
        try:
            results = {name: run(db, name, load(), Path(tmp)) for name, load in datasets.items()}
        finally:
            db.close()
    print("\n== summary (ours / ClickHouse; acceptance ≥ 1, evolved ≥ 99%, bytes ≤ 1, time ≤ 1)")
    for name, r in results.items():
        print(f"{name:14} acceptance {r['acceptance']:.2f}  evolved {r['evolved']:.1%}  bytes {r['bytes']:.2f} "
              f"(on disk {r['disk']:.2f})  time {r['time']:.2f}")


if __name__ == "__main__":
    main()
