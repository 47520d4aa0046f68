"""ClickHouse's HTTP interface as pure functions: what a request asks for, and how an error is answered.

Followed from ClickHouse's `src/Server/HTTPHandler.cpp`: the statement is the `query` parameter, a
line break, then the request body; `database` and `default_format` (or the `X-ClickHouse-Database` /
`X-ClickHouse-Format` headers) pick the database and output format; `param_NAME` binds `{NAME:Type}`;
a fixed set of transport parameters is skipped; every other parameter is a setting. An error is
answered with `Code: N. DB::Exception: ...`, the `X-ClickHouse-Exception-Code` header and the HTTP
status ClickHouse maps the error's name to (`exceptionCodeToHTTPStatus.cpp`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spotlight_nifi.infer.names import literal

TRANSPORT_PARAMETERS = frozenset({
    "compress", "decompress", "user", "password", "quota_key", "query_id", "stacktrace", "buffer_size",
    "wait_end_of_query", "session_id", "session_timeout", "session_check", "client_protocol_version",
    "close_session", "role",
})
"""Parameters ClickHouse's HTTP handler consumes itself: never settings."""

COMPRESSION_METHODS = frozenset({"gzip", "deflate", "br", "xz", "zstd", "lz4", "bz2", "snappy"})
"""`Content-Encoding` values ClickHouse decompresses a request body with."""

SYNTAX_ERROR, NOT_IMPLEMENTED, UNKNOWN_FORMAT, ABORTED, HTTP_LENGTH_REQUIRED, UNKNOWN_EXCEPTION = 62, 48, 73, 236, 381, 1002

_STATUS = {
    "REQUIRED_PASSWORD": 401,
    **dict.fromkeys(("UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE",
                     "ACCESS_DENIED"), 403),
    **dict.fromkeys(("BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT", "CANNOT_PARSE_ESCAPE_SEQUENCE",
                     "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER",
                     "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4", "CANNOT_PARSE_IPV6",
                     "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN",
                     "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE", "THERE_IS_NO_COLUMN", "TOO_DEEP_AST",
                     "TOO_BIG_AST", "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA", "TYPE_MISMATCH",
                     "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE"), 400),
    **dict.fromkeys(("UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE", "UNKNOWN_STORAGE",
                     "UNKNOWN_DATABASE", "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING", "UNKNOWN_AGGREGATE_FUNCTION",
                     "UNKNOWN_FORMAT", "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE"), 404),
    "QUERY_IS_TOO_LARGE": 413,
    "NOT_IMPLEMENTED": 501,
    **dict.fromkeys(("SOCKET_TIMEOUT", "CANNOT_OPEN_FILE", "CANNOT_SCHEDULE_TASK"), 503),
    "HTTP_LENGTH_REQUIRED": 411,
    "TIMEOUT_EXCEEDED": 408,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}
_CODE = re.compile(r"Code: (\d+)\.")
_NAME = re.compile(r"\(([A-Z][A-Z0-9_]+)\)")


class Refused(Exception):
    """A request ClickHouse would refuse: `code` and `name` are ClickHouse's error code and name."""

    def __init__(self, code: int, name: str, message: str) -> None:
        self.code, self.name = code, name
        super().__init__(message if message.startswith("Code: ") else f"Code: {code}. DB::Exception: {message}. ({name})")

    @classmethod
    def from_engine(cls, error: Exception) -> Refused:
        """The engine's own error, whose text already reads `Code: N. DB::Exception: ... (NAME)`."""
        text = str(error).strip()
        start = text.find("Code: ")
        text = text[start:] if start >= 0 else text
        code, names = _CODE.match(text), _NAME.findall(text)
        if code is None:
            return cls(UNKNOWN_EXCEPTION, "UNKNOWN_EXCEPTION", text or type(error).__name__)
        return cls(int(code.group(1)), names[-1] if names else "", text)

    @property
    def status(self) -> int:
        return _STATUS.get(self.name, 500)


@dataclass(frozen=True)
class Request:
    """One query request, its body still as sent (decompressing it needs the engine)."""

    prefix: bytes
    """The `query` parameter and a line break (empty without one): the body follows it."""
    body: bytes
    encoding: str
    database: str = "default"
    default_format: str = "TabSeparated"
    settings: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    query_id: str = ""


def parse_request(pairs: Iterable[tuple[str, str]], headers: Mapping[str, str], body: bytes) -> Request:
    """What a request asks for, from its URL parameters, headers (names in lower case) and body."""
    query, database, default_format, query_id = "", "", "", ""
    settings: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for key, value in pairs:
        if key == "query":
            query = value
        elif key == "database":
            database = value
        elif key == "default_format":
            default_format = value
        elif key == "query_id":
            query_id = value
        elif key.startswith("param_"):
            parameters[key.removeprefix("param_")] = value
        elif key in ("compress", "decompress") and value not in ("", "0", "false"):
            raise Refused(NOT_IMPLEMENTED, "NOT_IMPLEMENTED", f"`{key}=1` (ClickHouse's own block compression) is not "
                          "supported here: compress with the Content-Encoding / Accept-Encoding headers")
        elif key and key not in TRANSPORT_PARAMETERS:
            settings[key] = value
    if headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refused(NOT_IMPLEMENTED, "NOT_IMPLEMENTED", "external data and form-encoded queries "
                      "(multipart/form-data) are not supported here: send the query in the body or the URL")
    return Request(
        prefix=(query + "\n").encode() if query else b"", body=body,
        encoding=headers.get("content-encoding", "").strip().lower(),
        database=headers.get("x-clickhouse-database") or database or "default",
        default_format=headers.get("x-clickhouse-format") or default_format or "TabSeparated",
        settings=settings, parameters=parameters,
        query_id=headers.get("x-clickhouse-query-id") or query_id,
    )


_TOKEN = re.compile(rb"""
    (?P<space>\s+|--[^\n]*|\#[^\n]*|/\*.*?\*/)
  | (?P<quoted>'(?:[^'\\]|\\.|'')*'|`(?:[^`\\]|\\.|``)*`|"(?:[^"\\]|\\.|"")*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
""", re.S | re.X)
_NAME_FOLLOWS = (b"INTO", b"TABLE", b"FUNCTION", b".")
"""After these a word is a table name, never a keyword: `INSERT INTO values ...`."""


@dataclass(frozen=True)
class InlineInsert:
    """An INSERT whose data follows `FORMAT name` (or `VALUES`) in the request.

    The engine reads the data from a file instead (`FROM INFILE`), the way clickhouse-client sends
    a file: passed inline, chdb would parse the data as part of the statement (`max_query_size`)."""

    head: bytes
    """The statement up to where `FROM INFILE` goes: before its SETTINGS, else before FORMAT."""
    tail: bytes
    """`[SETTINGS ...] FORMAT name`."""
    data: memoryview

    def from_infile(self, path: str) -> bytes:
        return self.head + b" FROM INFILE " + literal(path).encode() + b" " + self.tail


def inline_insert(text: bytes) -> InlineInsert | None:
    """The INSERT with inline data in `text`, None for any other single statement.

    Data starts after the format name: spaces and tabs, then one line break, are skipped (ClickHouse's
    `ParserInsertQuery`); after `VALUES`, at the first tuple. A second statement is refused, as by
    ClickHouse over HTTP."""
    kind, previous, depth, ended = b"", b"", 0, False
    settings_at: int | None = None
    for token in _TOKEN.finditer(text):
        if token.lastgroup == "space":
            continue
        if ended:
            raise Refused(SYNTAX_ERROR, "SYNTAX_ERROR",
                          f"Syntax error (Multi-statements are not allowed): failed at position {token.start() + 1}")
        value = token.group().upper() if token.lastgroup == "word" else token.group()
        kind = kind or value
        if token.lastgroup == "other":
            depth += (value in b"([") - (value in b")]")
            ended = value == b";" and depth == 0
        elif token.lastgroup == "word" and depth == 0 and kind == b"INSERT" and previous not in _NAME_FOLLOWS:
            if value in (b"SELECT", b"WITH", b"INFILE"):
                kind = value
            elif value == b"SETTINGS":
                settings_at = token.start()
            elif value in (b"FORMAT", b"VALUES"):
                return _inline(text, token, settings_at)
        previous = value
    if not kind:
        raise Refused(SYNTAX_ERROR, "SYNTAX_ERROR", "Empty query")
    return None


def _next(text: bytes, at: int) -> re.Match[bytes] | None:
    """The first token from `at` on that is not space or a comment."""
    token = _TOKEN.match(text, at)
    while token is not None and token.lastgroup == "space":
        token = _TOKEN.match(text, token.end())
    return token


def _inline(text: bytes, keyword: re.Match[bytes], settings_at: int | None) -> InlineInsert | None:
    cut = keyword.start() if settings_at is None else settings_at
    head, settings = text[:cut], text[cut:keyword.start()]
    after = _next(text, keyword.end())
    if keyword.group().upper() == b"VALUES":
        return InlineInsert(head, settings + b"FORMAT Values", memoryview(text)[after.start() if after else len(text):])
    if after is None or after.lastgroup not in ("word", "quoted"):
        return None
    data_at = after.end()
    while text[data_at:data_at + 1] in (b" ", b"\t", b"\f"):
        data_at += 1
    data_at += text.startswith(b"\r", data_at)
    data_at += text.startswith(b"\n", data_at)
    return InlineInsert(head, settings + b"FORMAT " + after.group(), memoryview(text)[data_at:])
