"""ClickHouse's HTTP interface as the chdb server reads it: statements, inline insert data, parameters, errors."""

from __future__ import annotations

import pytest

from spotlight_nifi.clickhouse.http_protocol import Refused, inline_insert, parse_request

INLINE = [
    (b"INSERT INTO `t` (`a`, `format`) FORMAT Native\n\n\x01", b"INSERT INTO `t` (`a`, `format`) ", b"FORMAT Native", b"\n\x01"),
    (b"insert into t format CSV  \r\n1,2\n", b"insert into t ", b"FORMAT CSV", b"1,2\n"),
    (b"INSERT INTO t FORMAT JSONEachRow {}", b"INSERT INTO t ", b"FORMAT JSONEachRow", b"{}"),
    (b"INSERT INTO t SETTINGS async_insert = 0 FORMAT TSV\n1", b"INSERT INTO t ", b"SETTINGS async_insert = 0 FORMAT TSV", b"1"),
    (b"INSERT INTO db.values VALUES\n(1), (2)", b"INSERT INTO db.values ", b"FORMAT Values", b"(1), (2)"),
    (b"INSERT INTO TABLE format (x) FORMAT Native", b"INSERT INTO TABLE format (x) ", b"FORMAT Native", b""),
]


@pytest.mark.parametrize(("text", "head", "tail", "data"), INLINE)
def test_inline_insert_data_starts_where_clickhouse_starts_it(text: bytes, head: bytes, tail: bytes, data: bytes) -> None:
    found = inline_insert(text)
    assert found is not None
    assert (found.head, found.tail, bytes(found.data)) == (head, tail, data)


def test_the_rewritten_insert_reads_a_quoted_file() -> None:
    found = inline_insert(b"INSERT INTO t SETTINGS a = 1 FORMAT CSV\n1")
    assert found is not None
    assert found.from_infile("/tmp/it's") == b"INSERT INTO t  FROM INFILE '/tmp/it\\'s' SETTINGS a = 1 FORMAT CSV"


@pytest.mark.parametrize("text", [
    b"SELECT 1", b"SELECT ';' ;  ", b"-- a comment\nSELECT 1", b"(SELECT 1)", b"INSERT INTO t SELECT 1 FORMAT Native",
    b"INSERT INTO t FROM INFILE 'f' FORMAT CSV", b"CREATE TABLE t (format String) ENGINE = Memory",
])
def test_other_statements_run_as_sent(text: bytes) -> None:
    assert inline_insert(text) is None


@pytest.mark.parametrize(("text", "message"), [
    (b"", "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"),
    (b" /* only */ -- comments\n", "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"),
    (b"SELECT 1; SELECT 2", "Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed): "
                           "failed at position 11. (SYNTAX_ERROR)"),
])
def test_what_clickhouse_refuses_before_running_it(text: bytes, message: str) -> None:
    with pytest.raises(Refused) as refused:
        inline_insert(text)
    assert (str(refused.value), refused.value.status) == (message, 400)


def test_parameters_split_into_database_settings_and_query_parameters() -> None:
    request = parse_request(
        [("query", "INSERT INTO t FORMAT Native"), ("database", "raw"), ("param_x", "5"), ("session_id", "s"),
         ("client_protocol_version", "54405"), ("query_id", "q1"), ("insert_deduplication_token", "tok"), ("", "")],
        {"content-encoding": "LZ4 "}, b"data")
    assert (request.prefix, request.body, request.encoding, request.database, request.default_format) == (
        b"INSERT INTO t FORMAT Native\n", b"data", "lz4", "raw", "TabSeparated")
    assert (request.settings, request.parameters, request.query_id) == ({"insert_deduplication_token": "tok"}, {"x": "5"}, "q1")


@pytest.mark.parametrize(("pairs", "headers", "message"), [
    ([("decompress", "1")], {}, "`decompress=1` (ClickHouse's own block compression) is not supported here"),
    ([], {"content-type": "multipart/form-data; boundary=x"}, "(multipart/form-data) are not supported here"),
])
def test_unsupported_transport_features_are_refused_by_name(pairs: list[tuple[str, str]], headers: dict[str, str],
                                                            message: str) -> None:
    with pytest.raises(Refused, match=r"^Code: 48\. DB::Exception: .*\(NOT_IMPLEMENTED\)$") as refused:
        parse_request(pairs, headers, b"")
    assert message in str(refused.value) and refused.value.status == 501


@pytest.mark.parametrize(("engine_error", "code", "name", "status"), [
    ("Code: 60. DB::Exception: Unknown table expression identifier 'x'. (UNKNOWN_TABLE)", 60, "UNKNOWN_TABLE", 404),
    ("Code: 62. DB::Exception: Syntax error: failed at position 7. (SYNTAX_ERROR)", 62, "SYNTAX_ERROR", 400),
    ("Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)", 159, "TIMEOUT_EXCEEDED", 408),
    ("Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)", 241, "MEMORY_LIMIT_EXCEEDED", 500),
    ("something broke", 1002, "UNKNOWN_EXCEPTION", 500),
])
def test_engine_errors_keep_clickhouses_code_and_http_status(engine_error: str, code: int, name: str, status: int) -> None:
    refused = Refused.from_engine(RuntimeError(engine_error))
    assert (refused.code, refused.name, refused.status) == (code, name, status)
    assert str(refused).startswith(f"Code: {code}. DB::Exception: ")
