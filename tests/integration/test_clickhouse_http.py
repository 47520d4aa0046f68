"""The local stack's `clickhouse`: the embedded engine behind ClickHouse's HTTP interface, proven
through clickhouse-connect as the processors and the CLI use it (`connect("http://...")`)."""

from __future__ import annotations

import gzip
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any
from uuid import UUID

import clickhouse_connect
import pytest

from spotlight_nifi import stack as local_stack
from spotlight_nifi.cast import compile_caster, json_bytes
from spotlight_nifi.cli import main
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.clickhouse.server import ServerAddress
from spotlight_nifi.clickhouse.tables import table_columns
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ClickHouseError
from spotlight_nifi.infer import infer_table
from spotlight_nifi.infer.names import quote
from spotlight_nifi.ingest.steps import cast_flowfile, insert_flowfile
from spotlight_nifi.stack.state import session_members

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def database_url(clickhouse_url: str) -> str:
    """The URL of a fresh database on the session's server, for this module's tables."""
    name = f"http_{uuid.uuid4().hex[:8]}"
    admin = connect(clickhouse_url)
    try:
        admin.command(f"CREATE DATABASE {name}")
    finally:
        admin.close()
    return f"{clickhouse_url.rsplit('/', 1)[0]}/{name}"


@pytest.fixture
def server(database_url: str) -> Iterator[ClickHouse]:
    """The `Server` backend (clickhouse-connect) on the module's database."""
    db = connect(database_url)
    yield db
    db.close()


def _client(url: str, **options: Any) -> Any:
    address = ServerAddress.parse(url)
    return clickhouse_connect.get_client(host=address.host, port=address.port, database=address.database, **options)


def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with DIRECT.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_interface_answers_like_clickhouse(clickhouse_url: str) -> None:
    base = clickhouse_url.rsplit("/", 1)[0]
    with DIRECT.open(f"{base}/ping", timeout=10) as response:
        assert response.read() == b"Ok.\n"
    assert _post(f"{base}/", b"SELECT 1 + 1")[2] == b"2\n"
    assert _post(f"{base}/?query=SELECT%201%20%2B", b"2")[2] == b"3\n", "the query parameter, a line break, then the body"
    assert _post(f"{base}/?param_x=41", b"SELECT {x:UInt8} + 1")[2] == b"42\n"
    assert _post(f"{base}/", gzip.compress(b"SELECT 'unzipped'"), {"Content-Encoding": "gzip"})[2] == b"unzipped\n"

    status, headers, body = _post(f"{base}/", b"SELECT nope")
    assert (status, headers["X-ClickHouse-Exception-Code"]) == (404, "47")
    assert body.startswith(b"Code: 47. DB::Exception: ") and body.endswith(b"(UNKNOWN_IDENTIFIER)\n")
    status, headers, body = _post(f"{base}/", b"SELECT 1; SELECT 2")
    assert (status, headers["X-ClickHouse-Exception-Code"]) == (400, "62")
    assert b"Multi-statements are not allowed" in body
    status, _, body = _post(f"{base}/", b"SELECT 1", {"Content-Encoding": "rar"})
    assert status == 501 and b"Unknown compression method 'rar'" in body


def test_ddl_is_applied_and_read_back_from_the_catalog(server: ClickHouse) -> None:
    server.command("CREATE TABLE ddl (id UInt64, tag LowCardinality(String) COMMENT 'a tag') ENGINE = MergeTree ORDER BY id")
    server.command("ALTER TABLE ddl ADD COLUMN at Nullable(DateTime64(3, 'UTC'))")
    assert server.columns("ddl") == [("id", "UInt64", ""), ("tag", "LowCardinality(String)", "a tag"),
                                     ("at", "Nullable(DateTime64(3, 'UTC'))", "")]
    assert server.columns("missing") is None


TYPED = [
    ("toUInt256('115792089237316195423570985008687907853269984665640564039457584007913129639935')", 2**256 - 1),
    ("toInt128('-170141183460469231731687303715884105728')", -(2**127)),
    ("toUInt64(18446744073709551615)", 2**64 - 1),
    ("toInt8(-128)", -128),
    ("toDecimal128('-12345678901234567890.123456789', 9)", Decimal("-12345678901234567890.123456789")),
    (f"toDecimal256('{'9' * 66}.0123456789', 10)", Decimal(f"{'9' * 66}.0123456789")),
    ("toFloat64(0.1)", 0.1),
    ("toDateTime64('2024-02-29 23:59:59.123456', 6, 'UTC')", datetime(2024, 2, 29, 23, 59, 59, 123456)),
    ("toDate32('1900-01-01')", date(1900, 1, 1)),
    ("toUUID('8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d')", UUID("8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d")),
    ("toIPv4('10.0.0.1')", IPv4Address("10.0.0.1")),
    ("toIPv6('2001:db8::1')", IPv6Address("2001:db8::1")),
    ("CAST(NULL AS Nullable(Int32))", None),
    ("toLowCardinality('low')", "low"),
    ("'é\\n\\0`'", "é\n\x00`"),
    ("true", True),
    ("[[1, 2], []]", [[1, 2], []]),
    ("CAST([NULL, 'a'] AS Array(Nullable(String)))", [None, "a"]),
    ("map('k', [1, 2])", {"k": [1, 2]}),
    ("tuple(1, 'x')", (1, "x")),
]


def test_values_of_many_types_come_back_exact(server: ClickHouse) -> None:
    rows = server.query("SELECT " + ", ".join(expression for expression, _ in TYPED))
    assert list(rows[0]) == [value for _, value in TYPED]


def _utc(value: Any) -> Any:
    """clickhouse-connect reads a UTC DateTime64 back as a naive datetime."""
    return value.replace(tzinfo=timezone.utc) if isinstance(value, datetime) and value.tzinfo is None else value


def test_cast_records_are_inserted_and_read_back_exact(server: ClickHouse) -> None:
    records = [
        {"id": 1, "u": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d", "ip": "10.0.0.1", "ip6": "2001:db8::1", "day": "1969-07-20",
         "at": "2024-01-01T00:00:00.123456Z", "big": 2**64, "huge": 2**130, "o": {"x": 1, "y": ["a", None]},
         "a": [[1, 2], []], "f": 0.1, "s": "é\n\x00`'", "flag": True},
        {"id": 2, "u": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7e", "ip": "10.0.0.2", "ip6": "::1", "day": "2024-02-29",
         "at": "2024-01-01T00:00:01Z", "big": 0, "huge": -1, "o": None, "a": [], "f": -1e300, "s": "", "flag": None},
    ]
    inferred = infer_table(records, "cast")
    server.command(inferred.create_sql)
    caster = compile_caster(inferred.columns)
    rows = [caster.cast(r) for r in records]
    server.insert("cast", [c.name for c in inferred.columns], rows)
    stored = server.query(f"SELECT {', '.join(quote(c.name) for c in inferred.columns)} FROM cast ORDER BY id")
    assert [tuple(_utc(v) for v in row) for row in stored] == rows
    assert {c.name: str(c.type) for c in inferred.columns}["huge"] == "Decimal(76, 0)"


def test_rows_as_cast_go_in_as_text_and_read_back_like_python_rows(server: ClickHouse) -> None:
    """InsertClickHouse sends the rows CastToClickHouse wrote (`JSONRows`): the server stores what the
    same rows inserted as Python values store."""
    records = [{"id": n, "u": "8a7d0b2e-1c9f-4c6a-9d8b-3e2f1a0b9c7d", "ip": f"10.0.0.{n}", "ip6": "2001:db8::1",
                "day": "2024-02-29", "at": at, "big": 2**64 + n, "f": 3, "s": "é\n`'", "tags": ["a"], "n": None}
               for n, at in enumerate(["2024-01-01T00:00:00.123Z", "2000-02-29 12:00:00+00:00", "2024-01-01 00:00:00"])]
    content = b"\n".join(json_bytes(r) for r in records)
    cast = cast_flowfile(server, content, {"uuid": "ff"}, table="as_text", mode="create")
    server.command("CREATE TABLE as_values AS as_text")
    assert insert_flowfile(server, cast.contents or b"", cast.attributes, table="as_text").relationship == "success"
    caster = compile_caster(table_columns(server, "as_text") or [])
    server.insert("as_values", [c.name for c in caster.columns], [caster.cast(r) for r in records])
    assert server.query("SELECT * FROM as_text ORDER BY id") == server.query("SELECT * FROM as_values ORDER BY id")


def test_an_insert_token_seen_before_adds_nothing(server: ClickHouse) -> None:
    server.command("CREATE TABLE dedup (id UInt32) ENGINE = MergeTree ORDER BY id "
                   "SETTINGS non_replicated_deduplication_window = 100")
    batch = [(n,) for n in range(1000)]
    server.insert("dedup", ["id"], batch, token="flowfile-1")
    server.insert("dedup", ["id"], batch, token="flowfile-1")
    assert server.query("SELECT count(), uniqExact(id) FROM dedup") == [(1000, 1000)]
    server.insert("dedup", ["id"], batch, token="flowfile-2")
    server.insert("dedup", ["id"], batch)
    assert server.query("SELECT count() FROM dedup") == [(3000,)]


def test_a_refused_statement_is_named_with_clickhouses_error(server: ClickHouse) -> None:
    with pytest.raises(ClickHouseError, match=r"^ClickHouse refused `CREATE TABLE broken \(`: .*Code: 62\. DB::Exception: "):
        server.command("CREATE TABLE broken (")
    with pytest.raises(ClickHouseError, match=r"^ClickHouse refused `SELECT nope\(\)`: .*\(UNKNOWN_FUNCTION\)"):
        server.query("SELECT nope()")
    with pytest.raises(ClickHouseError, match=r"^ClickHouse refused the insert into `absent`: .*\(UNKNOWN_TABLE\)"):
        server.insert("absent", ["id"], [(1,)])


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_inserts_arrive_whole_in_every_encoding_the_client_sends(database_url: str, compress: str | bool) -> None:
    client = _client(database_url, compress=compress)
    table = f"encoded_{compress or 'plain'}"
    client.command(f"CREATE TABLE {table} (id UInt32, s String) ENGINE = MergeTree ORDER BY id")
    client.insert(table, [(n, "x" * (n % 50)) for n in range(200_000)], column_names=["id", "s"])
    assert client.query(f"SELECT count(), sum(id), sum(length(s)) FROM {table}").result_rows == [
        (200_000, sum(range(200_000)), sum(n % 50 for n in range(200_000)))]
    client.close()


def test_settings_hold_for_their_own_request_only(database_url: str) -> None:
    first, second = _client(database_url), _client(database_url)
    default = second.query("SELECT getSetting('max_block_size')").result_rows
    assert first.query("SELECT getSetting('max_block_size')", settings={"max_block_size": 1234}).result_rows == [(1234,)]
    assert second.query("SELECT getSetting('max_block_size')").result_rows == default
    assert first.query("SELECT 1", settings={"a_setting_this_engine_lacks": 1}).result_rows == [(1,)]
    first.close()
    second.close()


def test_concurrent_clients_each_get_their_own_rows(server: ClickHouse, database_url: str) -> None:
    server.command("CREATE TABLE shared (worker UInt8, n UInt32) ENGINE = MergeTree ORDER BY (worker, n)")
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        db = connect(database_url)
        try:
            for batch in range(10):
                db.insert("shared", ["worker", "n"], [(worker, batch * 500 + n) for n in range(500)])
                assert db.query(f"SELECT count() FROM shared WHERE worker = {worker}") == [((batch + 1) * 500,)]
        except BaseException as error:
            failures.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert server.query("SELECT worker, count(), uniqExact(n) FROM shared GROUP BY worker ORDER BY worker") == [
        (worker, 5000, 5000) for worker in range(4)]


def test_infer_load_and_query_commands_work_over_http(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLICKHOUSE_STORAGE_POLICY", raising=False)
    Path("a.jsonl").write_text('{"id": 1, "tag": "a"}\n{"id": 2, "tag": null}\n')
    Path("b.jsonl").write_text('{"id": 3, "tag": "c", "score": 0.5}\n{"id": -1, "tag": "d", "score": 1}\n')

    def run(*args: str) -> int:
        with pytest.raises(SystemExit) as exit_:
            main([*args, "--clickhouse", database_url])
        return int(exit_.value.code or 0)

    assert run("infer", "a.jsonl", "--table", "events", "--apply") == 0
    assert run("load", "a.jsonl", "--table", "events") == 0
    assert capsys.readouterr().out.endswith("loaded into `events`: read 2, loaded 2, rejected 0\n")
    assert run("load", "b.jsonl", "--table", "events", "--evolve") == 0
    assert capsys.readouterr().out.endswith("loaded into `events`: read 2, loaded 2, rejected 0\n")
    assert run("query", "SELECT id, tag, score FROM events ORDER BY id") == 0
    assert capsys.readouterr().out == "-1\td\t1.0\n1\ta\t\n2\t\t\n3\tc\t0.5\n"
    assert run("query", "SELECT nope FROM events") == 1
    assert capsys.readouterr().err.startswith("Error: ClickHouse refused `SELECT nope FROM events`: ")


def test_data_outlives_a_restart_and_down_leaves_no_process(fresh_run_dir: Path) -> None:
    cache = local_stack.cache_dir(Settings.load())
    running = local_stack.up(fresh_run_dir, cache, ["clickhouse"]).running["clickhouse"]
    assert running.env == {"CLICKHOUSE_URL": running.url, "CLICKHOUSE_PASSWORD": ""}
    db = connect(running.url)
    db.command("CREATE TABLE kept (id UInt8) ENGINE = MergeTree ORDER BY id")
    db.insert("kept", ["id"], [(1,), (2,)])
    db.close()
    assert local_stack.down(fresh_run_dir, cache) == ["clickhouse"]
    assert session_members(running.pid) == []

    db = connect(local_stack.up(fresh_run_dir, cache, ["clickhouse"]).running["clickhouse"].url)
    assert db.query("SELECT id FROM kept ORDER BY id") == [(1,), (2,)]
    db.close()
